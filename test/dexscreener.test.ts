import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import captured from "../../shared/fixtures/dexscreener-tokens-v1-solana.captured.json";
import { fetchDexTokens, fetchDexTokensBatched, pickBestPairs } from "../src/upstream/dexscreener";
import { UpstreamError } from "../src/upstream/http";
import { fake } from "./helpers/fake";

const JOJO = "7YygHaahdKVNtbu9GyFRnnBgf7hKzC76hnuHHfxCKRij";

beforeEach(() => fake.reset());

describe("DexScreener client", () => {
  it("parses the real captured pair (string price, epoch-ms creation, trailing-space names)", () => {
    const info = pickBestPairs(captured as never, [JOJO]).get(JOJO);
    expect(info).toEqual({
      mint: JOJO,
      name: "JOJO",
      symbol: "JOJO",
      price_usd: 0.00001499,
      liquidity_usd: 10.31,
      pair_created_at: 1744919973000,
      pair_address: "6kcuAhrA1dhVFCzosrUeRKPUTXE3FZ4X1Xk8GRHTkqan",
      dex_name: "raydium",
    });
  });

  it("keeps the most liquid pair whose base token is the mint, ignoring pairs where it is the quote", () => {
    const base = (captured as any[])[0];
    const pairs = [
      { ...base, pairAddress: "low", liquidity: { usd: 5 } },
      { ...base, pairAddress: "high", liquidity: { usd: 500 } },
      { ...base, pairAddress: "noliq", liquidity: undefined },
      { ...base, pairAddress: "quote", baseToken: { address: "Other" }, quoteToken: { address: JOJO } },
    ];
    expect(pickBestPairs(pairs, [JOJO]).get(JOJO)?.pair_address).toBe("high");
  });

  it("fetches through the fake and batches ≤ 30 mints per call", async () => {
    const mints = Array.from({ length: 65 }, (_, i) => `Mint${String(i).padStart(40, "x")}`);
    await fake.tokens(...mints.map((mint, i) => ({ mint, price_usd: i + 1, liquidity_usd: 1000 * (i + 1) })));
    const got = await fetchDexTokensBatched(env, mints);
    expect(got.size).toBe(65);
    expect(got.get(mints[4] as string)?.price_usd).toBe(5);
    expect((await fake.calls())["dexscreener.tokens"]).toBe(3);
    await expect(fetchDexTokens(env, mints)).rejects.toThrow(RangeError);
  });

  it("turns failures into a typed UpstreamError", async () => {
    await fake.fail("dexscreener.tokens", { status: 429, times: 1 });
    const err = await fetchDexTokens(env, [JOJO]).catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: "dexscreener", status: 429, retryable: true, kind: "http" });
    await fake.fail("dexscreener.tokens", { mode: "malformed", times: 1 });
    expect(await fetchDexTokens(env, [JOJO]).catch((e) => e)).toMatchObject({ kind: "malformed", retryable: false });
    await fake.fail("dexscreener.tokens", { mode: "timeout", delay_ms: 2000, times: 1 });
    expect(await fetchDexTokens(env, [JOJO]).catch((e) => e)).toMatchObject({ kind: "timeout", retryable: true });
  });
});
