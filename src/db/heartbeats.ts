import { log } from "../lib/logger";
import { nowIso } from "../lib/time";

/**
 * Heartbeats (issue 12): the last run of every cron job and actor alarm loop, one upserted row per
 * component. Writing one is best effort: a heartbeat that cannot be written must never fail the run it
 * describes (the status then shows the component late, which is the truth the operator needs).
 */
export type HeartbeatOutcome = "ok" | "error" | "skipped";

export async function heartbeatStarted(d1: D1Database, component: string, kind: "cron" | "alarm", at = Date.now()) {
  try {
    await d1
      .prepare(
        `INSERT INTO heartbeats (component, kind, last_started_at, last_outcome, updated_at)
         VALUES (?1, ?2, ?3, 'running', ?3)
         ON CONFLICT (component) DO UPDATE SET last_started_at = ?3, last_outcome = 'running', updated_at = ?3`,
      )
      .bind(component, kind, nowIso(at))
      .run();
  } catch (err) {
    log.warn("heartbeat_write_failed", { component, error: String(err) });
  }
}

export async function heartbeatFinished(
  d1: D1Database,
  component: string,
  kind: "cron" | "alarm",
  run: { startedAt: number; outcome: HeartbeatOutcome; error?: string | null; finishedAt?: number },
) {
  const finished = run.finishedAt ?? Date.now();
  const ok = run.outcome !== "error";
  try {
    await d1
      .prepare(
        `INSERT INTO heartbeats (component, kind, last_started_at, last_finished_at, last_duration_ms, last_outcome,
                                 last_error, last_ok_at, consecutive_failures, runs, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?8 THEN ?4 END, CASE WHEN ?8 THEN 0 ELSE 1 END, 1, ?4)
         ON CONFLICT (component) DO UPDATE SET
           last_started_at = ?3, last_finished_at = ?4, last_duration_ms = ?5, last_outcome = ?6,
           last_error = ?7, last_ok_at = CASE WHEN ?8 THEN ?4 ELSE last_ok_at END,
           consecutive_failures = CASE WHEN ?8 THEN 0 ELSE consecutive_failures + 1 END,
           runs = runs + 1, updated_at = ?4`,
      )
      .bind(
        component,
        kind,
        nowIso(run.startedAt),
        nowIso(finished),
        Math.max(0, finished - run.startedAt),
        run.outcome,
        ok ? null : (run.error ?? "unknown error").slice(0, 500),
        ok ? 1 : 0,
      )
      .run();
  } catch (err) {
    log.warn("heartbeat_write_failed", { component, error: String(err) });
  }
}

// Alarm loops of many objects (one PositionActor per position) run every 20-60 s each; writing every
// run would put one D1 write per tick on the trading path. Per isolate, a success is written at most
// every THROTTLE_MS; a failure, and the first success after one, always are.
const THROTTLE_MS = 15_000;
const lastWritten = new Map<string, { at: number; outcome: HeartbeatOutcome }>();

export async function alarmHeartbeat(
  d1: D1Database,
  component: string,
  run: { startedAt: number; outcome: HeartbeatOutcome; error?: string | null },
) {
  const now = Date.now();
  const prev = lastWritten.get(component);
  if (run.outcome !== "error" && prev && prev.outcome !== "error" && now - prev.at < THROTTLE_MS) return;
  lastWritten.set(component, { at: now, outcome: run.outcome });
  await heartbeatFinished(d1, component, "alarm", { ...run, finishedAt: now });
}

/** Tests drive alarms back to back: they reset the throttle instead of waiting for it. */
export function resetHeartbeatThrottle() {
  lastWritten.clear();
}
