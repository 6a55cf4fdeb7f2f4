/**
 * Simulated fills (DESIGN §1 "simulation and live share one pipeline"): only the executor differs.
 * A buy pays the market price plus the configured slippage; a sell receives the trigger (tick) price,
 * or the market price for manual exits, minus the slippage. Amounts are base units (bigint).
 */
export interface SimulatedBuy {
  expected_price_usd: number;
  executed_price_usd: number;
  expected_amount: bigint;
  executed_amount: bigint;
  executed_usd: number;
  slippage_bps: number;
}

export interface SimulatedSell {
  expected_price_usd: number;
  executed_price_usd: number;
  sold_amount: bigint;
  expected_usd: number;
  proceeds_usd: number;
  slippage_bps: number;
}

/** Whole tokens → base units, floored (a fill never credits more than was bought). */
export function toBaseUnits(ui: number, decimals: number): bigint {
  if (!(ui > 0) || !Number.isFinite(ui)) return 0n;
  // Split integer and fractional parts so that large amounts keep their integer digits exactly.
  const whole = Math.floor(ui);
  const frac = ui - whole;
  const scale = 10n ** BigInt(decimals);
  return BigInt(whole) * scale + BigInt(Math.floor(frac * 10 ** decimals));
}

export const fromBaseUnits = (amount: bigint, decimals: number): number => Number(amount) / 10 ** decimals;

function checkInputs(price: number, bps: number, decimals: number) {
  if (!(price > 0) || !Number.isFinite(price)) throw new RangeError(`price must be a positive number, got ${price}`);
  if (!(bps >= 0 && bps < 10_000)) throw new RangeError(`slippage_bps must be in [0, 10000), got ${bps}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18)
    throw new RangeError(`token_decimals must be an integer in [0, 18], got ${decimals}`);
}

export function simulateBuy(p: {
  requested_usd: number;
  price_usd: number;
  slippage_bps: number;
  decimals: number;
}): SimulatedBuy {
  checkInputs(p.price_usd, p.slippage_bps, p.decimals);
  if (!(p.requested_usd > 0)) throw new RangeError(`requested_usd must be positive, got ${p.requested_usd}`);
  const executed_price_usd = p.price_usd * (1 + p.slippage_bps / 10_000);
  const executed_amount = toBaseUnits(p.requested_usd / executed_price_usd, p.decimals);
  if (executed_amount <= 0n) throw new RangeError("the buy is too small to receive one base unit");
  return {
    expected_price_usd: p.price_usd,
    executed_price_usd,
    expected_amount: toBaseUnits(p.requested_usd / p.price_usd, p.decimals),
    executed_amount,
    executed_usd: p.requested_usd,
    slippage_bps: p.slippage_bps,
  };
}

export function simulateSell(p: {
  amount: bigint;
  price_usd: number;
  slippage_bps: number;
  decimals: number;
}): SimulatedSell {
  checkInputs(p.price_usd, p.slippage_bps, p.decimals);
  if (p.amount <= 0n) throw new RangeError("sell amount must be positive");
  const executed_price_usd = p.price_usd * (1 - p.slippage_bps / 10_000);
  const ui = fromBaseUnits(p.amount, p.decimals);
  return {
    expected_price_usd: p.price_usd,
    executed_price_usd,
    sold_amount: p.amount,
    expected_usd: ui * p.price_usd,
    proceeds_usd: ui * executed_price_usd,
    slippage_bps: p.slippage_bps,
  };
}
