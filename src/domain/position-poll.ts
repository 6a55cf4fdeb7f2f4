import type { ExitAction } from "./exit-rules";
import type { PositionState } from "./position-state";
import type { TickOutcome, TickPosition } from "./position-tick";
import type { PriceQuote } from "./price";

/**
 * What one price poll of a PositionActor changes in its state, apart from the I/O around it (the price read,
 * the exits recorded and enqueued, the alarm): the tick's input, the priced state, the exit keys and the
 * next poll.
 */

/** Poll interval of a position whose config cannot be read (D1 unreachable, nothing cached yet). */
export const DEFAULT_URGENT_SECONDS = 20;

/** The exit state the tick (src/domain/position-tick.ts) decides from. */
export function tickPosition(st: PositionState): TickPosition {
  return {
    entry_price_usd: st.entry_price_usd,
    entry_amount: BigInt(st.entry_amount),
    current_amount: BigInt(st.current_amount),
    peak_price_usd: st.peak_price_usd,
    trailing_active: st.trailing_active,
    scaling_levels_hit: st.scaling_levels_hit,
    opened_at_ms: Date.parse(st.opened_at),
  };
}

/** The state after a priced tick: the quote, no error, and the tick's exit state (levels now by multiple). */
export function pricedState(
  quote: Pick<PriceQuote, "price_usd" | "source" | "observed_at">,
  outcome: Pick<TickOutcome, "peak_price_usd" | "trailing_active" | "scaling_levels_hit">,
): Pick<
  PositionState,
  | "current_price_usd"
  | "price_source"
  | "last_price_at"
  | "last_error"
  | "peak_price_usd"
  | "trailing_active"
  | "scaling_levels_hit"
  | "scaling_levels_hit_format"
> {
  return {
    current_price_usd: quote.price_usd,
    price_source: quote.source,
    last_price_at: quote.observed_at,
    last_error: null,
    peak_price_usd: outcome.peak_price_usd,
    trailing_active: outcome.trailing_active,
    scaling_levels_hit: outcome.scaling_levels_hit,
    scaling_levels_hit_format: "multiple",
  };
}

/** The detail of a rule exit's key: a scaling level fires once per level, every other rule once per generation. */
export function tickExitDetail(a: Pick<ExitAction, "reason" | "level">): string | undefined {
  return a.reason === "scaling_out" ? `x${a.level}` : undefined;
}

/** The next poll, `seconds` after `now`, in `mode` (urgent, active, stable). */
export function pollSchedule(
  now: number,
  seconds: number,
  mode: string,
): Pick<PositionState, "poll_interval_seconds" | "poll_mode" | "next_poll_at"> {
  return {
    poll_interval_seconds: seconds,
    poll_mode: mode,
    next_poll_at: new Date(now + seconds * 1000).toISOString(),
  };
}

/** The error a failed poll leaves on the position. */
export function tickFailure(err: unknown): string {
  return `tick failed: ${err instanceof Error ? err.message : String(err)}`;
}
