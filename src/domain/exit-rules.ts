import type { StrategyRules } from "./exit-strategy";
import type { ExitReason } from "./vocabulary";

/**
 * Exit evaluation for one price tick (DESIGN §4). Pure: the PositionActor feeds it state and enqueues
 * what it returns.
 *
 * Order on one tick: mirror > stop-loss > trailing > take-profit > time exit > scaling. A full exit ends
 * the evaluation; a partial one (mirror fraction, scaling level) reduces the remainder and evaluation
 * continues on it. Several scaling levels crossed at once fire in ascending order, each once, never
 * selling more than remains. Thresholds compare prices with a tiny relative tolerance so that a price
 * exactly on a threshold counts despite floating-point noise.
 */
export const PRICE_TOLERANCE = 1e-9;
const atOrBelow = (price: number, threshold: number) => price <= threshold * (1 + PRICE_TOLERANCE);
const atOrAbove = (price: number, threshold: number) => price >= threshold * (1 - PRICE_TOLERANCE);

export interface ExitInput {
  rules: StrategyRules;
  entry_price_usd: number;
  /** Highest price seen before this tick. */
  peak_price_usd: number;
  /** This tick's price; exits fill at it. */
  price_usd: number;
  entry_amount: bigint;
  /** What can still be sold: the remaining amount minus sells already queued and not yet filled. */
  current_amount: bigint;
  opened_at_ms: number;
  now_ms: number;
  /**
   * Multiples of the scaling levels that already fired (queued or filled). A level is identified by its
   * multiple, never by its index: an override that adds a level in front must not re-sell a sold one.
   */
  scaling_levels_hit: readonly number[];
  trailing_active: boolean;
  /** A leader SELL waiting to be mirrored: the share of its holding it sold. */
  pending_mirror?: { fraction: number; signal_id: number } | null;
}

export interface ExitAction {
  reason: ExitReason;
  /** Base units to sell, > 0 and never more than what remained. */
  amount: bigint;
  /** true when this action sells everything that remained. */
  full: boolean;
  /** Scaling level multiple, for scaling_out. */
  level?: number;
  /** Mirror: the signal being mirrored. */
  signal_id?: number;
  /** The tick price that triggered it (the simulated fill price). */
  price_usd: number;
}

export interface ExitDecision {
  actions: ExitAction[];
  trailing_active: boolean;
  peak_price_usd: number;
  scaling_levels_hit: number[];
  /** Amount left after every action here fills. */
  remaining_after: bigint;
}

/** floor(amount × fraction) in base units without going through a float for the amount. */
export function fractionOf(amount: bigint, fraction: number): bigint {
  if (!(fraction > 0)) return 0n;
  if (fraction >= 1 - PRICE_TOLERANCE) return amount;
  const ppb = BigInt(Math.round(fraction * 1e9)); // parts per billion: exact enough for token amounts
  return (amount * ppb) / 1_000_000_000n;
}

export function minutesHeld(opened_at_ms: number, now_ms: number): number {
  return Math.max(0, (now_ms - opened_at_ms) / 60_000);
}

/**
 * The take-profit row in force: the one with the longest `after_minutes` that has passed. Rows are not
 * assumed sorted: a strategy read from D1 (or written before validation sorted it) may list them in any order.
 */
export function takeProfitInForce(rules: StrategyRules, minutes: number) {
  let row: StrategyRules["take_profit_table"][number] | undefined;
  for (const r of rules.take_profit_table)
    if (r.after_minutes <= minutes + 1e-9 && (!row || r.after_minutes > row.after_minutes)) row = r;
  return row;
}

/** Same multiple, allowing for the float noise of a JSON round trip. */
export const sameMultiple = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

export const levelHit = (hit: readonly number[], multiple: number) => hit.some((m) => sameMultiple(m, multiple));

/** Scaling levels in ascending multiple, whatever order the table lists them in. */
export const ascendingLevels = (rules: StrategyRules) =>
  [...rules.scaling_levels].sort((a, b) => a.multiple - b.multiple);

/**
 * Persisted positions written before levels were identified by multiple hold indexes into the rules of
 * that time. Maps them to multiples through the same table (the merged rules stored with the position),
 * so they keep meaning the same levels; an index the table no longer has is dropped (nothing to re-sell).
 */
export function levelIndexesToMultiples(rules: StrategyRules, indexes: readonly number[]): number[] {
  const out: number[] = [];
  for (const i of indexes) {
    const level = rules.scaling_levels[i];
    if (level && !levelHit(out, level.multiple)) out.push(level.multiple);
  }
  return out;
}

/** Whether the trailing stop is armed once the peak is known. No activation threshold = armed from entry. */
export function trailingArmed(rules: StrategyRules, entry: number, peak: number, wasActive: boolean): boolean {
  if (rules.trailing_stop_percent == null) return false;
  if (wasActive) return true;
  return atOrAbove(peak, entry * (1 + (rules.trailing_activation_percent ?? 0) / 100));
}

export function evaluateExits(input: ExitInput): ExitDecision {
  const { rules, entry_price_usd: entry, price_usd: price } = input;
  const peak = Math.max(input.peak_price_usd, price);
  const trailing = trailingArmed(rules, entry, peak, input.trailing_active);
  const hit = [...input.scaling_levels_hit];
  const actions: ExitAction[] = [];
  let remaining = input.current_amount;
  const done = (): ExitDecision => ({
    actions,
    trailing_active: trailing,
    peak_price_usd: peak,
    scaling_levels_hit: hit,
    remaining_after: remaining,
  });
  const sellAll = (reason: ExitReason, extra: Partial<ExitAction> = {}) => {
    if (remaining > 0n) actions.push({ reason, amount: remaining, full: true, price_usd: price, ...extra });
    remaining = 0n;
    return done();
  };
  if (remaining <= 0n) return done();

  // 1. mirror the leader's sale
  const mirror = input.pending_mirror;
  if (mirror && rules.mirror_exit_enabled && mirror.fraction > 0) {
    const amount = fractionOf(remaining, Math.min(1, mirror.fraction));
    if (amount >= remaining) return sellAll("mirror_exit", { signal_id: mirror.signal_id });
    if (amount > 0n) {
      actions.push({ reason: "mirror_exit", amount, full: false, signal_id: mirror.signal_id, price_usd: price });
      remaining -= amount;
    }
  }

  // 2. stop-loss
  if (rules.stop_loss_percent != null && atOrBelow(price, entry * (1 - rules.stop_loss_percent / 100)))
    return sellAll("stop_loss");

  // 3. trailing stop: armed past its activation, fires on the drawdown from the peak
  if (
    trailing &&
    rules.trailing_stop_percent != null &&
    atOrBelow(price, peak * (1 - rules.trailing_stop_percent / 100))
  )
    return sellAll("trailing_stop");

  // 4. time-decaying take-profit
  const minutes = minutesHeld(input.opened_at_ms, input.now_ms);
  const tp = takeProfitInForce(rules, minutes);
  if (tp && atOrAbove(price, entry * (1 + tp.min_profit_percent / 100))) return sellAll("take_profit");

  // 5. maximum hold time
  if (rules.max_hold_minutes != null && minutes >= rules.max_hold_minutes - 1e-9) return sellAll("time_exit");

  // 6. scaling out: each crossed level once, ascending, sized on the ENTRY amount, capped by what remains
  for (const level of ascendingLevels(rules)) {
    if (remaining <= 0n || levelHit(hit, level.multiple) || !atOrAbove(price, entry * level.multiple)) continue;
    hit.push(level.multiple);
    const want = fractionOf(input.entry_amount, level.sell_percent / 100);
    const amount = want > remaining ? remaining : want;
    if (amount <= 0n) continue;
    remaining -= amount;
    actions.push({ reason: "scaling_out", amount, full: remaining === 0n, level: level.multiple, price_usd: price });
  }
  return done();
}

// ------------------------------------------------------------------ adaptive polling

export interface PollConfig {
  poll_urgent_seconds: number;
  poll_active_seconds: number;
  poll_stable_seconds: number;
  near_trigger_percent: number;
}

export interface PollInput {
  rules: StrategyRules;
  entry_price_usd: number;
  peak_price_usd: number;
  price_usd: number;
  trailing_active: boolean;
  scaling_levels_hit: readonly number[];
  opened_at_ms: number;
  now_ms: number;
}

/** The price levels at which some rule would fire now (for the "near a trigger" test). */
export function triggerPrices(p: PollInput): number[] {
  const { rules, entry_price_usd: entry } = p;
  const out: number[] = [];
  if (rules.stop_loss_percent != null) out.push(entry * (1 - rules.stop_loss_percent / 100));
  if (p.trailing_active && rules.trailing_stop_percent != null)
    out.push(Math.max(p.peak_price_usd, p.price_usd) * (1 - rules.trailing_stop_percent / 100));
  const tp = takeProfitInForce(rules, minutesHeld(p.opened_at_ms, p.now_ms));
  if (tp) out.push(entry * (1 + tp.min_profit_percent / 100));
  for (const l of rules.scaling_levels) if (!levelHit(p.scaling_levels_hit, l.multiple)) out.push(entry * l.multiple);
  return out.filter((t) => t > 0);
}

/**
 * DESIGN §4: within `near_trigger_percent` of a trigger → urgent (20 s); trailing stop armed → active
 * (30 s); otherwise stable (60 s). "Within" is measured relative to the trigger price.
 */
export function pollInterval(p: PollInput, cfg: PollConfig): { seconds: number; mode: "urgent" | "active" | "stable" } {
  const near = triggerPrices(p).some((t) => Math.abs(p.price_usd / t - 1) <= cfg.near_trigger_percent / 100 + 1e-12);
  if (near) return { seconds: cfg.poll_urgent_seconds, mode: "urgent" };
  if (p.trailing_active) return { seconds: cfg.poll_active_seconds, mode: "active" };
  return { seconds: cfg.poll_stable_seconds, mode: "stable" };
}

// ------------------------------------------------------------------ PnL

export const toUi = (amount: bigint, decimals: number) => Number(amount) / 10 ** decimals;

/** The entry cost carried by `amount` of the position (pro rata of the entry amount). */
export function costBasisOf(amount: bigint, entry_amount: bigint, entry_cost_usd: number): number {
  if (entry_amount <= 0n) return 0;
  return (Number(amount) / Number(entry_amount)) * entry_cost_usd;
}

export interface PnlInput {
  entry_amount: bigint;
  entry_cost_usd: number;
  current_amount: bigint;
  decimals: number;
  price_usd: number | null;
  realized_pnl_usd: number;
}

/** Unrealized on what remains at the current price, plus realized from fills; percent of the entry cost. */
export function positionPnl(p: PnlInput) {
  const remainingCost = costBasisOf(p.current_amount, p.entry_amount, p.entry_cost_usd);
  const unrealized = p.price_usd == null ? 0 : toUi(p.current_amount, p.decimals) * p.price_usd - remainingCost;
  const total = unrealized + p.realized_pnl_usd;
  return {
    unrealized_pnl_usd: unrealized,
    realized_pnl_usd: p.realized_pnl_usd,
    total_pnl_usd: total,
    pnl_percent: p.entry_cost_usd > 0 ? (total / p.entry_cost_usd) * 100 : 0,
  };
}

export interface FillInput {
  entry_amount: bigint;
  entry_cost_usd: number;
  current_amount: bigint;
  sold_amount_total: bigint;
  exit_proceeds_usd: number;
  realized_pnl_usd: number;
  decimals: number;
  /** This fill. */
  sold: bigint;
  proceeds_usd: number;
}

/** Applies one exit fill: remaining, realized PnL and the weighted average exit price over all fills. */
export function applyExitFill(f: FillInput) {
  const sold = f.sold > f.current_amount ? f.current_amount : f.sold;
  const proceeds = f.sold === 0n ? 0 : f.proceeds_usd * (Number(sold) / Number(f.sold));
  const current_amount = f.current_amount - sold;
  const sold_amount_total = f.sold_amount_total + sold;
  const exit_proceeds_usd = f.exit_proceeds_usd + proceeds;
  const realized_pnl_usd = f.realized_pnl_usd + proceeds - costBasisOf(sold, f.entry_amount, f.entry_cost_usd);
  const soldUi = toUi(sold_amount_total, f.decimals);
  return {
    sold,
    current_amount,
    sold_amount_total,
    exit_proceeds_usd,
    realized_pnl_usd,
    avg_exit_price_usd: soldUi > 0 ? exit_proceeds_usd / soldUi : null,
    closed: current_amount === 0n,
  };
}
