import { describe, expect, it } from "vitest";
import { checkedMints, lastKnownQuote, quoteOfFetch } from "../src/domain/price-quotes";

const T = Date.parse("2026-12-03T12:00:00.000Z");

describe("price quotes (src/domain/price-quotes.ts)", () => {
  it("a quote from an earlier fetch carries that fetch's time and its age in whole seconds", () => {
    expect(quoteOfFetch("M", { price_usd: 2, source: "jupiter", at_ms: T - 2_900 }, T)).toEqual({
      mint: "M",
      price_usd: 2,
      source: "jupiter",
      observed_at: "2026-12-03T11:59:57.100Z",
      age_seconds: 2,
    });
  });

  it("the last known price is the fallback only while it is no older than the allowed age", () => {
    const last = { price_usd: 3, observed_at_ms: T - 60_000 };
    expect(lastKnownQuote("M", last, T, 60)).toEqual({
      mint: "M",
      price_usd: 3,
      source: "last_known",
      observed_at: "2026-12-03T11:59:00.000Z",
      age_seconds: 60,
    });
    expect(lastKnownQuote("M", last, T, 59)).toBeNull();
    expect(lastKnownQuote("M", null, T, 300)).toBeNull();
    // A row stamped ahead of this clock (another machine's) is not a negative age.
    expect(lastKnownQuote("M", { price_usd: 3, observed_at_ms: T + 5_000 }, T, 0)?.age_seconds).toBe(0);
  });

  it("mints across RPC must be an array of non-empty strings of at most 64 characters", () => {
    expect(checkedMints(["a", "b"])).toEqual(["a", "b"]);
    for (const bad of ["a", [""], ["x".repeat(65)], [1], null, undefined, [{}]])
      expect(() => checkedMints(bad)).toThrow(TypeError);
  });
});
