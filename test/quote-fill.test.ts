import { describe, expect, it } from "vitest";
import { lamportsForUsd, quotedBuyFill, quotedSellFill, simQuoteTokenReserve } from "../src/domain/quote-fill";
import { takeSpareToken } from "../src/domain/token-bucket";

/** Issue 11: simulated fills priced by a Jupiter quote. Hand-computed values. */
describe("quote-priced simulated fills (pure)", () => {
  it("sizes a BUY as the live executor does: usd / SOL price in lamports, floored", () => {
    expect(lamportsForUsd(50, 200)).toBe(250_000_000n);
    // 10 / 150 = 0.0666… SOL → 66 666 666.6 lamports, floored
    expect(lamportsForUsd(10, 150)).toBe(66_666_666n);
    expect(lamportsForUsd(0, 150)).toBe(0n);
    expect(lamportsForUsd(10, 0)).toBe(0n);
  });

  it("a BUY fills at the quote's out amount: 0.25 SOL at $200 = $50 for 20 000 tokens = $0.0025 (2 500 bps over $0.002)", () => {
    const r = quotedBuyFill({
      in_lamports: 250_000_000n,
      out_amount: 20_000_000_000n, // 20 000 tokens of 6 decimals
      price_usd: 0.002,
      sol_price_usd: 200,
      decimals: 6,
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.fill.executed_usd).toBe(50);
    expect(r.fill.executed_amount).toBe(20_000_000_000n);
    expect(r.fill.executed_price_usd).toBeCloseTo(0.0025, 15);
    expect(r.fill.expected_price_usd).toBe(0.002);
    // $50 at the market price would have bought 25 000 tokens
    expect(r.fill.expected_amount).toBe(25_000_000_000n);
    expect(r.fill.slippage_bps).toBeCloseTo(2500, 9);
  });

  it("a SELL fills at the quote's SOL out: 1 000 tokens → 4.75 SOL at $200 = $950, $0.95 each (500 bps under $1)", () => {
    const r = quotedSellFill({
      amount: 1_000_000_000n,
      out_lamports: 4_750_000_000n,
      price_usd: 1,
      sol_price_usd: 200,
      decimals: 6,
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.fill.sold_amount).toBe(1_000_000_000n);
    expect(r.fill.proceeds_usd).toBe(950);
    expect(r.fill.expected_usd).toBe(1000);
    expect(r.fill.executed_price_usd).toBeCloseTo(0.95, 15);
    expect(r.fill.slippage_bps).toBeCloseTo(500, 9);
  });

  it("a quote better than the decision price is a negative slippage, not refused", () => {
    const r = quotedSellFill({
      amount: 1_000_000n,
      out_lamports: 5_500_000n,
      price_usd: 1,
      sol_price_usd: 200,
      decimals: 6,
    });
    // 1 token → 0.0055 SOL = $1.10
    expect(r.ok && r.fill.slippage_bps).toBeCloseTo(-1000, 9);
  });

  it("refuses an empty or implausible quote (more than 10x off the market price: wrong decimals, bad route)", () => {
    const base = { in_lamports: 250_000_000n, price_usd: 0.002, sol_price_usd: 200, decimals: 6 };
    expect(quotedBuyFill({ ...base, out_amount: 0n }).ok).toBe(false);
    // 2 000 tokens for $50 = $0.025: 12.5x the market price
    expect(quotedBuyFill({ ...base, out_amount: 2_000_000_000n }).ok).toBe(false);
    // 250 000 tokens for $50 = $0.0002: a tenth of it, still believed; below that, not
    expect(quotedBuyFill({ ...base, out_amount: 250_000_000_000n }).ok).toBe(true);
    expect(quotedBuyFill({ ...base, out_amount: 250_000_000_001n }).ok).toBe(false);
    expect(quotedBuyFill({ ...base, out_amount: 1n, sol_price_usd: 0 }).ok).toBe(false);
    expect(
      quotedSellFill({ amount: 1_000_000n, out_lamports: 0n, price_usd: 1, sol_price_usd: 200, decimals: 6 }).ok,
    ).toBe(false);
  });
});

describe("a simulated quote only takes a spare swap token", () => {
  const limits = { per_second: 0.5, burst: 2 };
  it("keeps the last token for a waiting live order, or while live trading is on", () => {
    expect(simQuoteTokenReserve({ live_waiting: false, live_trading_enabled: false })).toBe(0);
    expect(simQuoteTokenReserve({ live_waiting: true, live_trading_enabled: false })).toBe(1);
    expect(simQuoteTokenReserve({ live_waiting: false, live_trading_enabled: true })).toBe(1);
  });

  it("takes one only when `keep` whole tokens stay after it; nothing to store otherwise", () => {
    const t0 = 1_000_000;
    expect(takeSpareToken({ tokens: 2, at_ms: t0 }, limits, t0, 1)).toEqual({
      taken: true,
      state: { tokens: 1, at_ms: t0 },
    });
    expect(takeSpareToken({ tokens: 1.5, at_ms: t0 }, limits, t0, 1)).toEqual({ taken: false });
    expect(takeSpareToken({ tokens: 1, at_ms: t0 }, limits, t0, 0)).toEqual({
      taken: true,
      state: { tokens: 0, at_ms: t0 },
    });
    expect(takeSpareToken({ tokens: 0.9, at_ms: t0 }, limits, t0, 0)).toEqual({ taken: false });
    // refilled first: 1.5 tokens + 1 s at 0.5/s = 2
    expect(takeSpareToken({ tokens: 1.5, at_ms: t0 }, limits, t0 + 1000, 1).taken).toBe(true);
    // a bucket never seen is full (burst 2)
    expect(takeSpareToken(null, limits, t0, 1)).toEqual({ taken: true, state: { tokens: 1, at_ms: t0 } });
    // burst 1 and a token to keep: never
    expect(takeSpareToken(null, { per_second: 1, burst: 1 }, t0, 1).taken).toBe(false);
  });
});
