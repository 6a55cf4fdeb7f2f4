/**
 * Money limits of live orders (issue 11). Pure.
 * - A live entry never spends more than the trading wallet's free SOL minus `sol_fee_reserve` (fees, rent
 *   of new token accounts, and the exits that must still be paid for), nor `max_position_usd`.
 * - A live sell sells what the wallet really holds when that is within 2 % of the recorded amount
 *   (Token-2022 transfer fees make the two differ a little); a larger difference means the records are
 *   wrong, so it refuses and alerts instead of guessing.
 */

export const LAMPORTS_PER_SOL = 1_000_000_000;
export const SELL_HOLDING_TOLERANCE = 0.02;

export type SpendDecision =
  | { ok: true; lamports: bigint; capped_by: "requested" | "free_sol" | "max_position_usd" }
  | { ok: false; reason: string };

export function liveSpendCap(p: {
  requested_lamports: bigint;
  wallet_lamports: bigint;
  sol_fee_reserve: number;
  max_position_usd: number;
  sol_price_usd: number;
}): SpendDecision {
  if (p.requested_lamports <= 0n) return { ok: false, reason: "nothing to spend" };
  const reserve = BigInt(Math.ceil(p.sol_fee_reserve * LAMPORTS_PER_SOL));
  const free = p.wallet_lamports - reserve;
  if (free <= 0n)
    return {
      ok: false,
      reason: `INSUFFICIENT_FUNDS: the trading wallet holds ${Number(p.wallet_lamports) / LAMPORTS_PER_SOL} SOL, not more than the ${p.sol_fee_reserve} SOL fee reserve`,
    };
  if (!(p.sol_price_usd > 0)) return { ok: false, reason: "no SOL price: the max_position_usd cap cannot be checked" };
  const usdCap = BigInt(Math.floor((p.max_position_usd / p.sol_price_usd) * LAMPORTS_PER_SOL));
  let lamports = p.requested_lamports;
  let capped_by: "requested" | "free_sol" | "max_position_usd" = "requested";
  if (usdCap < lamports) {
    lamports = usdCap;
    capped_by = "max_position_usd";
  }
  if (free < lamports) {
    lamports = free;
    capped_by = "free_sol";
  }
  if (lamports <= 0n) return { ok: false, reason: "the spend cap leaves nothing to spend" };
  return { ok: true, lamports, capped_by };
}

export type SellDecision = { ok: true; amount: bigint; adjusted: boolean } | { ok: false; reason: string };

/** How much of the token a live sell sells (base units), from the recorded amount and the real holding. */
export function liveSellAmount(p: { recorded: bigint; held: bigint; fraction_of_recorded?: number }): SellDecision {
  if (p.recorded <= 0n) return { ok: false, reason: "nothing recorded to sell" };
  if (p.held <= 0n) return { ok: false, reason: "HOLDING_MISMATCH: the trading wallet holds none of the token" };
  const diff = p.held > p.recorded ? p.held - p.recorded : p.recorded - p.held;
  // diff / recorded > 2 %  ⇔  diff * 10000 > recorded * 200 (integers: no float rounding on u64 amounts)
  if (diff * 10_000n > p.recorded * BigInt(Math.round(SELL_HOLDING_TOLERANCE * 10_000)))
    return {
      ok: false,
      reason: `HOLDING_MISMATCH: the wallet holds ${p.held} base units, the records say ${p.recorded} (more than 2 % apart)`,
    };
  const fraction = p.fraction_of_recorded ?? 1;
  if (!(fraction > 0 && fraction <= 1)) return { ok: false, reason: "fraction must be in (0, 1]" };
  if (fraction === 1) return { ok: true, amount: p.held, adjusted: p.held !== p.recorded };
  // A partial exit scales the real holding: the same share of what is really there.
  const scaled = (p.held * BigInt(Math.round(fraction * 1_000_000))) / 1_000_000n;
  if (scaled <= 0n) return { ok: false, reason: "the partial amount rounds to nothing" };
  return { ok: true, amount: scaled, adjusted: p.held !== p.recorded };
}
