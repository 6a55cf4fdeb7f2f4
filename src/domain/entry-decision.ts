// Pure parts of a BUY's entry decision in the WalletActor.
import { FILTER_REASONS, type FilterReason } from "./signal-filters";
import type { EnqueueResult } from "./swap-order";

/**
 * Until when a BUY's enqueue is retried: while the trade is still fresh — for as long again as
 * max_signal_age_seconds after its reception — then given up (WallTrack never chases an old trade).
 */
export function entryRetryUntil(receivedAtMs: number, maxSignalAgeSeconds: number): number {
  return receivedAtMs + maxSignalAgeSeconds * 1000;
}

/** The filter reason when the SwapQueue refused the entry itself (its own breaker gate); null: it took it. */
export function queueRefusal(result: Pick<EnqueueResult, "status" | "cancel_reason">): FilterReason | null {
  return result.status === "cancelled" && (FILTER_REASONS as readonly string[]).includes(result.cancel_reason ?? "")
    ? (result.cancel_reason as FilterReason)
    : null;
}
