import { raiseAlert, resolveAlertOf } from "../db/alerts";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { setUpstreamSink, type UpstreamSnapshot } from "../upstream/health-tracker";
import { setUsageSink } from "../upstream/usage-counter";

/**
 * Connects the in-memory upstream breaker to D1: its snapshot lands in `upstream_health` (read by the
 * status) and an opening raises `upstream_failing` (a close resolves it). Called wherever upstream
 * clients run: the Worker's requests, the crons, and the Durable Objects that call upstreams.
 */
export function attachUpstreamHealth(env: { DB: D1Database }) {
  setUpstreamSink((s) => writeSnapshot(env.DB, s));
  setUsageSink((rows) => writeUsage(env.DB, rows));
}

/** Adds counted upstream usage to its windows: one batch per flush, never one write per call. */
export async function writeUsage(d1: D1Database, rows: { metric: string; window: string; count: number }[]) {
  if (rows.length === 0) return;
  const at = nowIso();
  await d1.batch(
    rows.map((r) =>
      d1
        .prepare(
          `INSERT INTO rate_usage (metric, window, count, updated_at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (metric, window) DO UPDATE SET count = count + excluded.count, updated_at = excluded.updated_at`,
        )
        .bind(r.metric, r.window, r.count, at),
    ),
  );
}

async function writeSnapshot(d1: D1Database, s: UpstreamSnapshot) {
  const iso = (ms: number | null) => (ms == null ? null : nowIso(ms));
  await d1
    .prepare(
      `INSERT INTO upstream_health (service, recent, last_success_at, last_failure_at, last_error, open_until, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (service) DO UPDATE SET recent = ?2, last_success_at = COALESCE(?3, last_success_at),
         last_failure_at = COALESCE(?4, last_failure_at), last_error = COALESCE(?5, last_error),
         open_until = ?6, updated_at = ?7`,
    )
    .bind(
      s.service,
      JSON.stringify(s.recent),
      iso(s.last_success_at),
      iso(s.last_failure_at),
      s.last_error,
      iso(s.open_until),
      nowIso(),
    )
    .run();
  if (s.transition === "opened") {
    log.warn("upstream_circuit_opened", { service: s.service, open_until: iso(s.open_until) });
    await raiseAlert(d1, {
      kind: "upstream_failing",
      subject: s.service,
      message: `${s.service} failed more than half of its last calls; skipped until ${iso(s.open_until)}`,
      detail: { recent: s.recent, last_error: s.last_error },
    });
  } else if (s.transition === "closed") {
    log.info("upstream_circuit_closed", { service: s.service });
    await resolveAlertOf(d1, "upstream_failing", s.service, "monitor");
  }
}
