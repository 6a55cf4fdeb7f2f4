import { afterCall, type UpstreamState, upstreamGate } from "../domain/upstream-health";
import type { UpstreamService } from "./http";

/**
 * Per-upstream circuit breaker (issue 12), kept in memory per isolate so that a call never waits on
 * storage to learn whether it may go out. Every object or request in an isolate shares it. A snapshot
 * goes to the registered sink (D1 `upstream_health`, and the alert) on every state change and at most
 * every FLUSH_MS otherwise, so the operator status sees it; a failing sink never fails the call.
 */
export interface UpstreamSnapshot {
  service: UpstreamService;
  recent: number[];
  open_until: number | null;
  last_success_at: number | null;
  last_failure_at: number | null;
  last_error: string | null;
  /** The breaker opened (true) or closed (false) with this call; undefined = no transition. */
  transition?: "opened" | "closed";
}
export type UpstreamSink = (s: UpstreamSnapshot) => Promise<void>;

const FLUSH_MS = 30_000;
interface Tracked extends UpstreamState {
  last_success_at: number | null;
  last_failure_at: number | null;
  last_error: string | null;
  flushed_at: number;
  trial_in_flight: boolean;
}
const states = new Map<UpstreamService, Tracked>();
let sink: UpstreamSink | null = null;

export function setUpstreamSink(s: UpstreamSink | null) {
  sink = s;
}

const stateOf = (service: UpstreamService): Tracked => {
  let s = states.get(service);
  if (!s) {
    s = {
      recent: [],
      open_until: null,
      last_success_at: null,
      last_failure_at: null,
      last_error: null,
      flushed_at: 0,
      trial_in_flight: false,
    };
    states.set(service, s);
  }
  return s;
};

/** "go" = call it; "skip" = breaker open (or a trial already out): take the fallback. */
export function admitCall(service: UpstreamService, now = Date.now()): "go" | "skip" {
  const s = stateOf(service);
  const gate = upstreamGate(s, now);
  if (gate === "closed") return "go";
  if (gate === "open" || s.trial_in_flight) return "skip";
  s.trial_in_flight = true;
  return "go";
}

/** A call given up by its caller (its own budget, not an outage): it decides nothing, so another may be the trial. */
export function releaseTrial(service: UpstreamService) {
  stateOf(service).trial_in_flight = false;
}

export async function recordCall(service: UpstreamService, ok: boolean, error: string | null, now = Date.now()) {
  const s = stateOf(service);
  const wasOpen = s.open_until != null;
  const next = afterCall(s, ok, now);
  s.recent = next.recent;
  s.open_until = next.open_until;
  s.trial_in_flight = false;
  if (ok) s.last_success_at = now;
  else {
    s.last_failure_at = now;
    s.last_error = error?.slice(0, 300) ?? null;
  }
  const isOpen = s.open_until != null;
  const transition = !wasOpen && isOpen ? "opened" : wasOpen && !isOpen ? "closed" : undefined;
  if (!sink || (!transition && now - s.flushed_at < FLUSH_MS && ok)) return;
  s.flushed_at = now;
  try {
    await sink({
      service,
      recent: [...s.recent],
      open_until: s.open_until,
      last_success_at: s.last_success_at,
      last_failure_at: s.last_failure_at,
      last_error: s.last_error,
      transition,
    });
  } catch {
    // Monitoring must never fail the call it observes; the next flush retries.
    s.flushed_at = 0;
  }
}

/** Tests start each scenario from a closed breaker. */
export function resetUpstreamHealth() {
  states.clear();
}
