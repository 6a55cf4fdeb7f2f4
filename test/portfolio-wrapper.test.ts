import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { testAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { fake } from "./helpers/fake";

const SIG = `${"4".repeat(80)}aaaa`;
let seq = 0;
const nextWallet = () => testAddress(170, ++seq);
const agoIso = (s: number) => new Date(Date.now() - s * 1000).toISOString();

beforeEach(async () => {
  await fake.reset();
});

describe("one cached-response wrapper with real ages on every answer", () => {
  it("a launch list is as old as its oldest on-chain confirmation lookup, stale past portfolio_stale_seconds", async () => {
    const wallet = nextWallet();
    await api("POST", "/api/wallets/", { address: wallet });
    const rec = await api("POST", "/api/wallets/launches/record", {
      wallet_address: wallet,
      mint_address: testAddress(171, seq),
      tx_signature: SIG,
    });
    expect(rec.status).toBe(201);
    // Its confirmation was never looked up: no age, stale.
    expect(rec.body).toMatchObject({ cached_at: null, cache_age_seconds: null, is_stale: true, source: "cache" });
    const checkedAt = agoIso(1000);
    await env.DB.prepare(
      "UPDATE launches SET chain_checked_at = ?, confirmation_status = 'finalized' WHERE wallet_address = ?",
    )
      .bind(checkedAt, wallet)
      .run();
    const list = await api("GET", `/api/wallets/launches/${wallet}`);
    expect(list.body).toMatchObject({ cached_at: checkedAt, is_stale: true });
    expect(list.body.cache_age_seconds).toBeGreaterThanOrEqual(1000);
    expect(list.body.data[0]).toMatchObject({ confirmation_status: "finalized", chain_checked_at: checkedAt });
  });

  it("a funding list with a submitted transfer is as old as its last signature-status lookup", async () => {
    const wallet = nextWallet();
    await api("POST", "/api/wallets/", { address: wallet });
    const res = await api("POST", "/api/wallets/funding/schedule", {
      wallet_address: wallet,
      amount_sol: 0.1,
      scheduled_for: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ is_stale: false, source: "cache" });
    expect(res.body.cache_age_seconds).toBe(0);
    const checkedAt = agoIso(900);
    await env.DB.prepare(
      "UPDATE scheduled_funding SET status = 'submitted', tx_signature = ?, last_checked_at = ? WHERE id = ?",
    )
      .bind(SIG, checkedAt, res.body.data.id)
      .run();
    const list = await api("GET", `/api/wallets/funding/scheduled?wallet_address=${wallet}`);
    expect(list.body).toMatchObject({ cached_at: checkedAt, is_stale: true });
    expect(list.body.cache_age_seconds).toBeGreaterThanOrEqual(900);
    await env.DB.prepare("UPDATE scheduled_funding SET status = 'cancelled' WHERE id = ?").bind(res.body.data.id).run();
  });
});
