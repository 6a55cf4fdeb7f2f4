import type { ComponentVerdict } from "./heartbeat";

/**
 * Upstream circuit breaker (issue 12): an upstream failing more than half of its last 10 calls is
 * skipped for a cool-down (callers take their fallback, e.g. the DexScreener price); after it, one trial
 * call decides: success closes the breaker with a fresh window, failure opens it again.
 * `recent` holds 1 (success) / 0 (failure), newest last.
 */
export const UPSTREAM_WINDOW = 10;
export const UPSTREAM_COOLDOWN_MS = 60_000;

export interface UpstreamState {
  recent: number[];
  open_until: number | null;
}

export const failuresOf = (recent: readonly number[]) => recent.filter((r) => r === 0).length;
export const tooManyFailures = (recent: readonly number[]) => failuresOf(recent) * 2 > UPSTREAM_WINDOW;

/** May a call go out now? "trial" = the one call after a cool-down. */
export function upstreamGate(s: UpstreamState, now: number): "closed" | "open" | "trial" {
  if (s.open_until == null) return "closed";
  return now < s.open_until ? "open" : "trial";
}

/** The state after one call's outcome. */
export function afterCall(s: UpstreamState, ok: boolean, now: number): UpstreamState {
  if (s.open_until != null) {
    // A trial (or a call that was already in flight when the breaker opened) decides alone.
    return ok ? { recent: [1], open_until: null } : { recent: s.recent, open_until: now + UPSTREAM_COOLDOWN_MS };
  }
  const recent = [...s.recent, ok ? 1 : 0].slice(-UPSTREAM_WINDOW);
  return { recent, open_until: tooManyFailures(recent) ? now + UPSTREAM_COOLDOWN_MS : null };
}

export function upstreamVerdict(i: {
  recent: readonly number[];
  openUntil: string | null;
  now: number;
}): ComponentVerdict {
  if (i.openUntil && Date.parse(i.openUntil) > i.now)
    return { verdict: "failing", reason: `circuit open until ${i.openUntil}: calls skipped, fallbacks in use` };
  const failed = failuresOf(i.recent);
  if (!i.recent.length) return { verdict: "ok", reason: "no call recorded yet" };
  if (failed * 2 > i.recent.length)
    return { verdict: "failing", reason: `${failed} of the last ${i.recent.length} calls failed` };
  if (i.openUntil)
    return { verdict: "late", reason: `cool-down over; next call is the trial (${failed} recent failures)` };
  return { verdict: "ok", reason: `${failed} of the last ${i.recent.length} calls failed` };
}
