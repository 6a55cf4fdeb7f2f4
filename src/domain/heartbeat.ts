/**
 * Verdicts of the operator status (issue 12): is a cron job or an actor alarm loop healthy, late or
 * failing. Pure: the caller reads the heartbeat row and passes the clock.
 */
export type Verdict = "ok" | "late" | "failing";

export interface ComponentVerdict {
  verdict: Verdict;
  reason: string;
}

export interface HeartbeatView {
  last_started_at: string;
  last_finished_at: string | null;
  last_outcome: "running" | "ok" | "error" | "skipped";
  last_error: string | null;
  consecutive_failures: number;
}

/** A run is late when nothing started for more than two periods (the "late by more than two periods"). */
export const LATE_AFTER_PERIODS = 2;

/**
 * Verdict of a periodic component. `expected` false means nothing needs the loop right now (an alarm loop
 * with no work): silence is then fine, but a last failure still shows.
 */
export function heartbeatVerdict(
  hb: HeartbeatView | null,
  periodSeconds: number,
  now: number,
  expected = true,
): ComponentVerdict {
  const periodMs = periodSeconds * 1000;
  if (!hb) return expected ? { verdict: "late", reason: "no run recorded yet" } : { verdict: "ok", reason: "idle" };
  const started = Date.parse(hb.last_started_at);
  const sinceStart = now - started;
  if (hb.last_outcome === "running" && sinceStart > LATE_AFTER_PERIODS * periodMs)
    return { verdict: "failing", reason: `run started ${hb.last_started_at} never finished` };
  if (hb.last_outcome === "error")
    return {
      verdict: "failing",
      reason: `last run failed (${hb.consecutive_failures} in a row): ${hb.last_error ?? "unknown error"}`,
    };
  if (expected && sinceStart > LATE_AFTER_PERIODS * periodMs)
    return {
      verdict: "late",
      reason: `last run started ${hb.last_started_at}, more than ${LATE_AFTER_PERIODS} periods of ${periodSeconds} s ago`,
    };
  return { verdict: "ok", reason: `last run ${hb.last_outcome} at ${hb.last_finished_at ?? hb.last_started_at}` };
}

/** The worst of several verdicts (failing > late > ok). */
export function worst(...verdicts: Verdict[]): Verdict {
  if (verdicts.includes("failing")) return "failing";
  if (verdicts.includes("late")) return "late";
  return "ok";
}
