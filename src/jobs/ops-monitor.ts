import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { raiseAlert, resolveAlertOf } from "../db/alerts";
import { breakerAlert } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import { raisePausedLeaders } from "../db/leader-alerts";
import { circuitBreakerEvents, jobRuns, wallets } from "../db/schema";
import { type AlertInput, type AlertKind, MONITORED_KINDS } from "../domain/alerts";
import { LATE_AFTER_PERIODS } from "../domain/heartbeat";
import type { UsageReading } from "../domain/rate-usage";
import { nowIso } from "../lib/time";
import { collectStatus, STALE_PRICE_MS } from "../ops/status";
import { flushUsage } from "../upstream/usage-counter";
import type { Job } from "./run-job";

/** A watched wallet with no signal for this long is worth a look (issue 12). */
export const WALLET_SILENCE_MS = 72 * 3_600_000;

/**
 * Every 5 min (issue 12): turns the status into alerts. A condition still true bumps its alert's count;
 * one that cleared is resolved by the monitor. Positions priced by a fallback become an alert only after
 * the condition has lasted 5 min (tracked in `alert_candidates`).
 */
export const runOpsMonitor: Job = async (env) => {
  const now = Date.now();
  const db = getDb(env.DB);
  await flushUsage(now); // this isolate's own counts first
  const status = await collectStatus(env, now);
  const seen: AlertInput[] = [];
  const byName = new Map(status.components.map((c) => [c.name, c]));

  // Crons: a cron that never ran is only late once the monitor itself has run for two of its periods.
  const firstMonitorRun = (
    await db
      .select({ at: sql<string | null>`min(${jobRuns.started_at})` })
      .from(jobRuns)
      .where(eq(jobRuns.job, "ops_monitor"))
      .get()
  )?.at;
  for (const c of status.components.filter((x) => x.name.startsWith("cron:"))) {
    const job = c.name.slice("cron:".length);
    const period = Number(c.detail.period_seconds ?? 0) * 1000;
    const neverRan = c.detail.last_started_at == null;
    const observedLongEnough =
      firstMonitorRun != null && now - Date.parse(firstMonitorRun) > LATE_AFTER_PERIODS * period;
    if (c.verdict === "late" && (!neverRan || observedLongEnough))
      seen.push({ kind: "cron_late", subject: job, message: `cron ${job}: ${c.reason}`, detail: c.detail });
    if (c.verdict === "failing")
      seen.push({ kind: "cron_failing", subject: job, message: `cron ${job}: ${c.reason}`, detail: c.detail });
  }

  const webhook = byName.get("webhook");
  if (webhook?.verdict === "late")
    seen.push({ kind: "webhook_silent", subject: "helius", message: webhook.reason, detail: webhook.detail });
  if (webhook?.detail.sync_status === "error")
    seen.push({
      kind: "sync_error",
      subject: "helius",
      message: `Helius address sync failed: ${webhook.detail.last_sync_error ?? "error"}`,
    });

  const positionsC = byName.get("positions");
  const stuck = (positionsC?.detail.stuck_exits ?? []) as {
    position_id: string | null;
    id: string;
    requested_at: string;
  }[];
  for (const s of stuck)
    seen.push({
      kind: "stuck_exit",
      subject: s.position_id ?? s.id,
      message: `exit order ${s.id} waiting since ${s.requested_at}`,
      detail: { order_id: s.id, requested_at: s.requested_at },
    });
  const stale = (positionsC?.detail.stale_or_fallback_price ?? []) as { id: string; problem: string }[];
  const lasting = await lastingCandidates(
    env.DB,
    "stale_price",
    stale.map((p) => p.id),
    now,
  );
  for (const p of stale)
    if (lasting.has(p.id))
      seen.push({ kind: "stale_price", subject: p.id, message: `position ${p.id}: ${p.problem} for over 5 min` });

  for (const c of status.components.filter((x) => x.name.startsWith("upstream:")))
    if (c.verdict === "failing")
      seen.push({
        kind: "upstream_failing",
        subject: c.name.slice("upstream:".length),
        message: c.reason,
        detail: c.detail,
      });

  // Rate-limit usage at or over 80 % of its plan limit (a condition: resolved when usage falls back).
  for (const c of status.components.filter((x) => x.name.startsWith("upstream:")))
    for (const u of (c.detail.rate_limits ?? []) as UsageReading[])
      if (u.over_alert_threshold)
        seen.push({
          kind: "rate_limit_high",
          subject: u.metric,
          message: `${u.metric}: ${u.used} of ${u.limit} per ${u.window} (${u.percent} %)`,
          detail: { ...u },
        });

  // Dead letters are events: one alert per dead order, ever.
  const dead = await env.SWAP_QUEUE.getByName("default")
    .status()
    .then((q) => q.dead_letters)
    .catch(() => []);
  for (const d of dead)
    await raiseAlert(env.DB, {
      kind: "dead_letter",
      subject: d.order_id,
      message: `order ${d.order_id} dead-lettered after ${d.attempts} attempts: ${d.last_error ?? "unknown error"}`,
      detail: { ...d },
    });

  // Breaker trips and resets raised where they happen; this sweep catches one whose alert write failed.
  for (const e of await db.select().from(circuitBreakerEvents).orderBy(desc(circuitBreakerEvents.id)).limit(20).all())
    if (!(await env.DB.prepare("SELECT 1 FROM alerts WHERE subject = ?").bind(`event:${e.id}`).first()))
      await breakerAlert(env.DB, e);

  // Leaders paused anywhere (API, dashboard, config import) whose alert is not there yet.
  const paused = await raisePausedLeaders(env.DB, now);

  const quiet = await db
    .select({ address: wallets.address, last: wallets.last_signal_at, created: wallets.created_at })
    .from(wallets)
    .where(
      and(
        eq(wallets.is_active, true),
        or(
          lt(wallets.last_signal_at, nowIso(now - WALLET_SILENCE_MS)),
          and(isNull(wallets.last_signal_at), lt(wallets.created_at, nowIso(now - WALLET_SILENCE_MS))),
        ),
      ),
    )
    .all();
  for (const w of quiet)
    seen.push({
      kind: "wallet_no_signal",
      subject: w.address,
      message: `watched wallet ${w.address}: no signal since ${w.last ?? `it was added (${w.created})`}`,
    });

  let raised = 0;
  for (const a of seen) if ((await raiseAlert(env.DB, a, now))?.created) raised++;
  const resolved = await resolveCleared(env.DB, seen, now);
  return {
    status: "ok",
    detail: {
      verdict: status.verdict,
      conditions: seen.length,
      raised,
      resolved,
      dead_letters: dead.length,
      leaders_paused: paused,
    },
  };
};

/** Records when each subject was first seen; returns those seen for at least STALE_PRICE_MS. */
async function lastingCandidates(d1: D1Database, kind: AlertKind, subjects: string[], now: number) {
  const stmts = [
    d1
      .prepare(`DELETE FROM alert_candidates WHERE kind = ?1 AND subject NOT IN (SELECT value FROM json_each(?2))`)
      .bind(kind, JSON.stringify(subjects)),
    ...subjects.map((s) =>
      d1
        .prepare("INSERT INTO alert_candidates (kind, subject, first_seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(kind, s, nowIso(now)),
    ),
  ];
  await d1.batch(stmts);
  const rows = await d1
    .prepare("SELECT subject FROM alert_candidates WHERE kind = ? AND first_seen_at <= ?")
    .bind(kind, nowIso(now - STALE_PRICE_MS))
    .all<{ subject: string }>();
  return new Set(rows.results.map((r) => r.subject));
}

/** Resolves the monitor's own condition alerts that are no longer seen. */
async function resolveCleared(d1: D1Database, seen: AlertInput[], now: number) {
  const still = new Set(seen.map((a) => `${a.kind}\u0000${a.subject}`));
  const open = await d1
    .prepare(`SELECT kind, subject FROM alerts WHERE status != 'resolved' AND kind IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(MONITORED_KINDS))
    .all<{ kind: string; subject: string }>();
  let n = 0;
  for (const a of open.results)
    if (!still.has(`${a.kind}\u0000${a.subject}`)) n += await resolveAlertOf(d1, a.kind, a.subject, "monitor", now);
  return n;
}
