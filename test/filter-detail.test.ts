import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api } from "./helpers/api";
import { fake } from "./helpers/fake";
import { addr, nativeBuy } from "./helpers/helius";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

beforeEach(async () => {
  await fake.reset();
});
afterEach(async () => {
  await api("PATCH", "/api/v1/config", { min_leader_trade_sol: 0.1 });
});

async function filtered(mintFields: Record<string, unknown> = {}, mint = addr()) {
  const wallet = addr();
  await insertWallet(wallet);
  await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100, ...mintFields });
  await spyActor(wallet);
  const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
  await deliver([t]);
  await settle(wallet);
  return (await signalBySignature(t.signature)) as { id: number; filter_reason: string };
}

describe("filter_detail (issue 13): a filtered signal keeps the numbers of the moment it was decided", () => {
  it("a leader trade below the minimum records the size and the range then, not the current limits", async () => {
    expect((await api("PATCH", "/api/v1/config", { min_leader_trade_sol: 5 })).status).toBe(200);
    const s = await filtered();
    expect(s.filter_reason).toBe("leader_trade_too_small");
    await api("PATCH", "/api/v1/config", { min_leader_trade_sol: 0.1 });
    const res = await api("GET", `/api/v1/signals/${s.id}`);
    expect(res.status).toBe(200);
    expect(res.body.filter_detail).toMatchObject({ leader_trade_sol: 1, min_leader_trade_sol: 5 });
    const list = await api("GET", "/api/v1/signals?filter_reason=leader_trade_too_small&page_size=100");
    const item = list.body.items.find((i: { id: number }) => i.id === s.id);
    expect(item.filter_detail).toMatchObject({ min_leader_trade_sol: 5 });
  });

  it("a leader trade outside the size bounds is filtered before any lookup: no safety call upstream", async () => {
    expect((await api("PATCH", "/api/v1/config", { min_leader_trade_sol: 5 })).status).toBe(200);
    const mint = addr();
    const s = await filtered({}, mint);
    expect(s.filter_reason).toBe("leader_trade_too_small");
    // No safety lookup of the mint: RugCheck and DexScreener name it in their paths.
    const asked = (await fake.requests()).filter((r) => `${r.path} ${JSON.stringify(r.body ?? "")}`.includes(mint));
    expect(asked.map((r) => r.route)).toEqual([]);
  });

  it("a failed safety check records each check with its value and threshold", async () => {
    const s = await filtered({ liquidity_usd: 1, mint_authority: "Mint111111111111111111111111111111111111111" });
    expect(s.filter_reason).toBe("safety_check_failed");
    const cfg = await env.DB.prepare("SELECT min_liquidity_usd, safety_threshold FROM config").first<any>();
    const res = await api("GET", `/api/v1/signals/${s.id}`);
    expect(res.body.filter_detail).toMatchObject({
      checks: { liquidity: false },
      inputs: { liquidity_usd: 1 },
      limits: { min_liquidity_usd: cfg.min_liquidity_usd },
      safety_threshold: cfg.safety_threshold,
    });
  });

  it("a signal decided without a filter has no detail", async () => {
    const s = await filtered();
    const res = await api("GET", `/api/v1/signals/${s.id}`);
    expect(res.body.filter_reason).toBeNull();
    expect(res.body.filter_detail).toBeNull();
  });
});
