import { type ExitAction, evaluateExits, fractionOf, type PollConfig, pollInterval } from "./exit-rules";
import type { StrategyRules } from "./exit-strategy";

/**
 * The per-tick state handling of a position, shared by the PositionActor (live and simulated trading)
 * and the strategy simulator (issue 14): one code path, so the simulator shows what the actor would do.
 *
 * Pure: given the position's exit state, what is still pending on the queue, the rules in force and one
 * price tick, it returns the new exit state, the exits to record (decided) and the next poll interval.
 */
export interface TickPosition {
  entry_price_usd: number;
  entry_amount: bigint;
  /** What the position holds now (fills applied). */
  current_amount: bigint;
  peak_price_usd: number;
  trailing_active: boolean;
  /** Multiples of the scaling levels already decided. */
  scaling_levels_hit: readonly number[];
  opened_at_ms: number;
}

/** Exits decided or queued and not yet filled. */
export interface PendingExits {
  /** A full exit is on its way: nothing more to decide. */
  full: boolean;
  /** Base units held back by partial exits not yet filled. */
  partial: bigint;
}

export interface TickOutcome {
  peak_price_usd: number;
  trailing_active: boolean;
  scaling_levels_hit: number[];
  /** Exits to record as decided, in evaluation order. */
  actions: ExitAction[];
  /** Some action sells everything that remained: the position becomes `closing`. */
  closing: boolean;
  poll: { seconds: number; mode: "urgent" | "active" | "stable" };
}

export function positionTick(
  pos: TickPosition,
  pending: PendingExits,
  rules: StrategyRules,
  price_usd: number,
  now_ms: number,
  poll: PollConfig,
): TickOutcome {
  let peak = Math.max(pos.peak_price_usd, price_usd);
  let trailing = pos.trailing_active;
  let hit = [...pos.scaling_levels_hit];
  let actions: ExitAction[] = [];
  // While a full exit is pending nothing more may be sold; only the peak keeps following the price.
  if (!pending.full && pos.current_amount > 0n) {
    const available = pos.current_amount - pending.partial;
    const decision = evaluateExits({
      rules,
      entry_price_usd: pos.entry_price_usd,
      peak_price_usd: pos.peak_price_usd,
      price_usd,
      entry_amount: pos.entry_amount,
      current_amount: available > 0n ? available : 0n,
      opened_at_ms: pos.opened_at_ms,
      now_ms,
      scaling_levels_hit: hit,
      trailing_active: pos.trailing_active,
      pending_mirror: null,
    });
    peak = decision.peak_price_usd;
    trailing = decision.trailing_active;
    hit = decision.scaling_levels_hit;
    actions = decision.actions;
  }
  return {
    peak_price_usd: peak,
    trailing_active: trailing,
    scaling_levels_hit: hit,
    actions,
    closing: actions.some((a) => a.full),
    poll: pollInterval(
      {
        rules,
        entry_price_usd: pos.entry_price_usd,
        peak_price_usd: peak,
        price_usd,
        trailing_active: trailing,
        scaling_levels_hit: hit,
        opened_at_ms: pos.opened_at_ms,
        now_ms,
      },
      poll,
    ),
  };
}

/**
 * A leader sale to mirror: the share `fraction` of what is still available (held minus pending partial
 * sells); a fraction of 1 (within float noise) sells everything. Null when nothing can be sold.
 */
export function mirrorExitAmount(
  current_amount: bigint,
  pending: PendingExits,
  fraction: number,
): { amount: bigint; full: boolean } | null {
  if (pending.full) return null;
  const left = current_amount - pending.partial;
  const available = left > 0n ? left : 0n;
  const full = fraction >= 1 - 1e-9;
  const amount = full ? available : fractionOf(available, fraction);
  return amount > 0n ? { amount, full } : null;
}
