import { LAMPORTS_PER_SOL } from "./live-sizing";
import { fromBaseUnits, type SimulatedBuy, type SimulatedSell, toBaseUnits } from "./simulation";

/**
 * A simulated fill priced by a Jupiter quote (issue 11: "the simulated fill models the quote's price
 * impact"). The quote is asked for the same input a live order would send (lamports for a BUY, token base
 * units for a SELL) and the fill takes the quote's `outAmount`, so its price impact and the route's fees are in
 * the fill; the SOL leg is valued at the SOL price the live executor would use. `slippage_bps` is the
 * realised difference from the market (or trigger) price the decision used: positive = worse for us.
 * Pure: the caller fetches the quote and the prices.
 */

/** A quote whose implied price is further than this factor from the market price is not believed. */
export const QUOTE_PLAUSIBLE_FACTOR = 10;

/** The lamports a live BUY of `usd` sends at `sol_price_usd` (floored, as the live executor sizes it). */
export function lamportsForUsd(usd: number, solPriceUsd: number): bigint {
  if (!(usd > 0) || !(solPriceUsd > 0) || !Number.isFinite(usd) || !Number.isFinite(solPriceUsd)) return 0n;
  return BigInt(Math.floor((usd / solPriceUsd) * LAMPORTS_PER_SOL));
}

export type QuoteFill<T> = { ok: true; fill: T } | { ok: false; reason: string };

const positive = (n: number) => n > 0 && Number.isFinite(n);

/** Realised slippage in bps of `executed` against `expected`; a BUY pays more (+), a SELL receives less (+). */
const bpsOf = (side: "buy" | "sell", executed: number, expected: number) =>
  side === "buy" ? (executed / expected - 1) * 10_000 : (1 - executed / expected) * 10_000;

const plausible = (executed: number, expected: number) =>
  executed <= expected * QUOTE_PLAUSIBLE_FACTOR && executed >= expected / QUOTE_PLAUSIBLE_FACTOR;

/**
 * A BUY that sent `in_lamports` and received the quote's `out_amount` base units of the token.
 * `price_usd` is the market price the entry was decided at (the expected price).
 */
export function quotedBuyFill(p: {
  in_lamports: bigint;
  out_amount: bigint;
  price_usd: number;
  sol_price_usd: number;
  decimals: number;
}): QuoteFill<SimulatedBuy> {
  if (!positive(p.price_usd) || !positive(p.sol_price_usd)) return { ok: false, reason: "no usable price" };
  if (p.in_lamports <= 0n) return { ok: false, reason: "nothing sent" };
  if (p.out_amount <= 0n) return { ok: false, reason: "the quote gives nothing" };
  const executed_usd = fromBaseUnits(p.in_lamports, 9) * p.sol_price_usd;
  const executed_price_usd = executed_usd / fromBaseUnits(p.out_amount, p.decimals);
  if (!plausible(executed_price_usd, p.price_usd))
    return { ok: false, reason: `quote price ${executed_price_usd} is implausible against ${p.price_usd}` };
  return {
    ok: true,
    fill: {
      expected_price_usd: p.price_usd,
      executed_price_usd,
      expected_amount: toBaseUnits(executed_usd / p.price_usd, p.decimals),
      executed_amount: p.out_amount,
      executed_usd,
      slippage_bps: bpsOf("buy", executed_price_usd, p.price_usd),
    },
  };
}

/**
 * A SELL of `amount` base units that received the quote's `out_lamports`. `price_usd` is the trigger (or
 * market) price the exit was decided at.
 */
export function quotedSellFill(p: {
  amount: bigint;
  out_lamports: bigint;
  price_usd: number;
  sol_price_usd: number;
  decimals: number;
}): QuoteFill<SimulatedSell> {
  if (!positive(p.price_usd) || !positive(p.sol_price_usd)) return { ok: false, reason: "no usable price" };
  if (p.amount <= 0n) return { ok: false, reason: "nothing sold" };
  if (p.out_lamports <= 0n) return { ok: false, reason: "the quote gives nothing" };
  const ui = fromBaseUnits(p.amount, p.decimals);
  const proceeds_usd = fromBaseUnits(p.out_lamports, 9) * p.sol_price_usd;
  const executed_price_usd = proceeds_usd / ui;
  if (!plausible(executed_price_usd, p.price_usd))
    return { ok: false, reason: `quote price ${executed_price_usd} is implausible against ${p.price_usd}` };
  return {
    ok: true,
    fill: {
      expected_price_usd: p.price_usd,
      executed_price_usd,
      sold_amount: p.amount,
      expected_usd: ui * p.price_usd,
      proceeds_usd,
      slippage_bps: bpsOf("sell", executed_price_usd, p.price_usd),
    },
  };
}

/**
 * Swap tokens a simulated quote must leave in the bucket (issue 11: exits and live orders keep priority):
 * the last token stays for a live order waiting for one, and while live trading is on, for the live order
 * that may arrive any moment (a simulated quote must never make a live trade wait).
 */
export function simQuoteTokenReserve(s: { live_waiting: boolean; live_trading_enabled: boolean }): number {
  return s.live_waiting || s.live_trading_enabled ? 1 : 0;
}
