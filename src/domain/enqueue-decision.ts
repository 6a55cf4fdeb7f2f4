import { entryTimeVerdict } from "./signal-filters";
import type { EnqueueResult, SwapRequest } from "./swap-order";

/**
 * The SwapQueue's decisions at enqueue: whether a new order is refused at once (recorded cancelled, never
 * executed), and what the caller is answered.
 */

type Refusable = Pick<SwapRequest, "priority" | "side" | "leader_block_time">;

/**
 * Whether the refusals need the hot state (breaker, config): only a NORMAL order (the breaker) or a dated
 * entry (its age) do, so an exit is queued without waiting for a first load of the hot state.
 */
export function enqueueNeedsHotState(req: Refusable): boolean {
  return req.priority === "normal" || (req.side === "buy" && req.leader_block_time !== undefined);
}

/**
 * Why a new order is cancelled at once, or null (`hot`: the queue's hot state, its breaker and config): an open breaker cancels NORMAL entries; an entry already too
 * old (or dated in the future) is refused, as it would be at execution.
 */
export function enqueueCancelReason(
  req: Refusable,
  hot: { breaker: { open: boolean }; config: { max_signal_age_seconds: number } },
  nowMs: number,
): string | null {
  if (req.priority === "normal" && hot.breaker.open) return "circuit_breaker";
  if (req.side === "buy" && req.leader_block_time !== undefined) {
    const age = entryTimeVerdict(req.leader_block_time, nowMs, hot.config.max_signal_age_seconds);
    if (age !== "ok") return age;
  }
  return null;
}

/** The answer for an order the queue holds (a duplicate key answers the first order's state). */
export function enqueueResult(
  row: { order_id: string; state: NonNullable<EnqueueResult["queue_state"]>; last_error: string | null },
  duplicate: boolean,
): EnqueueResult {
  return {
    order_id: row.order_id,
    status: row.state === "cancelled" ? "cancelled" : "pending",
    duplicate,
    ...(row.state === "cancelled" && row.last_error ? { cancel_reason: row.last_error } : {}),
    queue_state: row.state,
  };
}
