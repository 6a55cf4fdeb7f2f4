/**
 * Token bucket for real upstream swap calls (DESIGN §4 "Swap priorities"): `per_second` tokens refill
 * continuously up to `burst`; each upstream swap takes one. Pure arithmetic: the caller passes the clock and
 * stores the state (the SwapQueue keeps it in its SQLite, so an eviction neither refills nor empties it).
 */
export type BucketLimits = { per_second: number; burst: number };
export type BucketState = { tokens: number; at_ms: number };

/** The state at `now`: a bucket never seen is full; a clock that went backwards adds nothing. */
export function refill(state: BucketState | null, limits: BucketLimits, now: number): BucketState {
  const burst = Math.max(1, limits.burst);
  if (!state || !Number.isFinite(state.tokens) || !Number.isFinite(state.at_ms)) return { tokens: burst, at_ms: now };
  const elapsed = Math.max(0, now - state.at_ms);
  const tokens = Math.min(burst, Math.max(0, state.tokens) + (elapsed / 1000) * limits.per_second);
  return { tokens, at_ms: Math.max(now, state.at_ms) };
}

/** When one whole token is (or was) available, from the state at `now`. */
export function tokenReadyAt(state: BucketState | null, limits: BucketLimits, now: number): number {
  const s = refill(state, limits, now);
  if (s.tokens >= 1) return now;
  if (!(limits.per_second > 0)) return Number.POSITIVE_INFINITY;
  return s.at_ms + Math.ceil(((1 - s.tokens) / limits.per_second) * 1000);
}

/** Takes one token if there is one. The returned state is what to store either way. */
export function takeToken(
  state: BucketState | null,
  limits: BucketLimits,
  now: number,
): { taken: boolean; state: BucketState; ready_at_ms: number } {
  const s = refill(state, limits, now);
  if (s.tokens >= 1) {
    const after = { tokens: s.tokens - 1, at_ms: s.at_ms };
    return { taken: true, state: after, ready_at_ms: tokenReadyAt(after, limits, now) };
  }
  return { taken: false, state: s, ready_at_ms: tokenReadyAt(s, limits, now) };
}

/**
 * Takes one token only if `keep` whole tokens are still there after it (a caller of lower priority never
 * takes one that a higher priority needs). Nothing changes when it is not taken: the caller stores nothing.
 */
export function takeSpareToken(
  state: BucketState | null,
  limits: BucketLimits,
  now: number,
  keep: number,
): { taken: true; state: BucketState } | { taken: false } {
  const s = refill(state, limits, now);
  if (s.tokens < 1 + Math.max(0, keep)) return { taken: false };
  return { taken: true, state: { tokens: s.tokens - 1, at_ms: s.at_ms } };
}
