import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { assessTokenSafety } from "../src/db/token-safety";
import { api, expectErrorShape } from "./helpers/api";
import { dashboardPage } from "./helpers/dashboard";
import { fake } from "./helpers/fake";
import { addr } from "./helpers/helius";

const db = getDb(env.DB);
beforeEach(() => fake.reset());

const goodToken = (mint: string) =>
  fake.tokens({ mint, price_usd: 0.01, liquidity_usd: 120_000, age_hours: 72, top10_holder_percent: 35, decimals: 6 });

describe("tokens: the chosen pair's DEX and address (issue 16)", () => {
  it("the safety check stores the pair's dex_name and pair_address, and the API and dashboard show them", async () => {
    const mint = addr();
    await goodToken(mint);
    expect(await assessTokenSafety(env, db, mint, await loadConfig(db))).toMatchObject({ status: "ok" });
    const row = await env.DB.prepare("SELECT dex_name, pair_address FROM tokens WHERE mint_address = ?")
      .bind(mint)
      .first();
    // The fake answers DexScreener's shape: dexId "raydium", pairAddress "pair" + the mint's tail.
    expect(row).toEqual({ dex_name: "raydium", pair_address: `pair${mint.slice(4)}` });

    const one = await api("GET", `/api/v1/tokens/${mint}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      mint_address: mint,
      dex_name: "raydium",
      pair_address: `pair${mint.slice(4)}`,
      safety_score: 1,
      check_liquidity_passed: true,
    });
    const list = await api("GET", "/api/v1/tokens?page_size=200");
    expect(list.status).toBe(200);
    expect(list.body.items.find((t: { mint_address: string }) => t.mint_address === mint)).toMatchObject({
      dex_name: "raydium",
    });

    const page = await dashboardPage("/tokens");
    expect(page.status).toBe(200);
    expect(page.text).toContain("raydium");
    expect(page.text).toContain(`title="pair${mint.slice(4)}"`);
  });

  it("a failed DexScreener call keeps the pair known from before", async () => {
    const mint = addr();
    await goodToken(mint);
    const cfg = await loadConfig(db);
    await assessTokenSafety(env, db, mint, cfg);
    await env.DB.prepare("UPDATE tokens SET safety_checked_at = '2000-01-01T00:00:00.000Z' WHERE mint_address = ?")
      .bind(mint)
      .run(); // expired: the next check goes upstream
    await fake.fail("dexscreener.tokens", { status: 500, times: 5 });
    await assessTokenSafety(env, db, mint, cfg);
    const row = await env.DB.prepare(
      "SELECT dex_name, pair_address, safety_checked_at FROM tokens WHERE mint_address = ?",
    )
      .bind(mint)
      .first<Record<string, string>>();
    expect(row?.safety_checked_at).not.toBe("2000-01-01T00:00:00.000Z");
    expect(row).toMatchObject({ dex_name: "raydium", pair_address: `pair${mint.slice(4)}` });
  });

  it("answers 404 for an unknown mint and 400 for a malformed one", async () => {
    const unknown = await api("GET", `/api/v1/tokens/${addr()}`);
    expect(unknown.status).toBe(404);
    expectErrorShape(unknown.body, "NotFound");
    const bad = await api("GET", "/api/v1/tokens/not-a-mint!");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    expect(bad.body.detail).toContain("mint");
  });
});
