/**
 * When the SwapQueue's alarm is next due (issue 10): owed steps when due; a simulated order when due (never
 * waiting for a swap token); a live order when due and a token is there; any order no sooner than the
 * optional minimum spacing after the last execution. Pure: the queue reads the times from its storage.
 */
export function nextRunAt(i: {
  now: number;
  /** Earliest not_before of pending simulated / live orders and of owed steps (null: none). */
  nextSim: number | null;
  nextLive: number | null;
  nextOwed: number | null;
  /** When the bucket next holds a token (now or earlier: one is there). */
  tokenReadyAt: number;
  lastExecutionMs: number;
  spacingMs: number;
}): number | null {
  if (i.nextSim == null && i.nextLive == null && i.nextOwed == null) return null;
  let at = i.nextOwed == null ? Number.POSITIVE_INFINITY : Math.max(i.nextOwed, i.now);
  if (i.nextSim != null || i.nextLive != null) {
    let nextOrder = i.nextSim ?? Number.POSITIVE_INFINITY;
    if (i.nextLive != null) nextOrder = Math.min(nextOrder, Math.max(i.nextLive, i.tokenReadyAt));
    at = Math.min(at, Math.max(nextOrder, i.lastExecutionMs + i.spacingMs, i.now));
  }
  return at;
}

/** Backoff of a failed order attempt: 1 s, 2 s, 4 s … capped at a minute. */
export function attemptBackoffMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** (attempts - 1));
}
