import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { nowIso } from "../lib/time";
import type { Job } from "./run-job";

/**
 * Daily retention (issue 12): rows older than `retention_days` are deleted in batches of BATCH rows, at
 * most MAX_BATCHES statements per run so one invocation stays far inside D1's query limit; what is left
 * goes on the next day (the detail says `more_left`). Export them first with GET /api/v1/export/{table}.
 *
 * Never deleted: a signal any position or order refers to (that is trade history, and every open
 * position's history among it), alerts not resolved, job runs still running, the latest reconciliation run
 * (and the latest finished one) with its findings.
 */
export const RETENTION_BATCH = 500;
export const RETENTION_MAX_BATCHES = 40;

/**
 * Reconciliation runs never deleted, however old: the latest run (what the status and the Health page
 * summarise) and the latest finished one (when the latest is running or failed). A run still `running`
 * past the cutoff (at least 7 days) died long ago: its lease is 15 minutes, so it goes like the others.
 */
function keptRunExcluded(alias: string) {
  return `${alias}.id != (SELECT MAX(id) FROM reconciliation_runs)
      AND ${alias}.id != COALESCE((SELECT MAX(id) FROM reconciliation_runs WHERE status = 'ok'), -1)`;
}

/** The tables retention covers, and which of their rows are old enough AND allowed to go. */
export const RETENTION_TABLES = {
  signals: {
    time: "created_at",
    deletable: `NOT EXISTS (SELECT 1 FROM positions p WHERE p.signal_id = signals.id)
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.signal_id = signals.id)`,
  },
  job_runs: { time: "started_at", deletable: "status != 'running'" },
  alerts: { time: "last_seen_at", deletable: "status = 'resolved'" },
  // A pending notification is still owed (retried until delivered): only delivered ones go.
  notifications: { time: "created_at", deletable: "status = 'delivered'" },
  // Findings before their runs (this order is the deletion order): a run goes only once it has none left,
  // so the foreign key never depends on the cascade, and a run whose findings did not fit this run's
  // budget waits for the next day with them.
  reconciliation_findings: {
    time: "created_at",
    deletable: `run_id IN (SELECT r.id FROM reconciliation_runs r WHERE ${keptRunExcluded("r")})`,
  },
  reconciliation_runs: {
    time: "started_at",
    deletable: `${keptRunExcluded("reconciliation_runs")}
      AND NOT EXISTS (SELECT 1 FROM reconciliation_findings f WHERE f.run_id = reconciliation_runs.id)`,
  },
} as const;
export type RetentionTable = keyof typeof RETENTION_TABLES;

export async function deleteOlderThan(d1: D1Database, table: RetentionTable, cutoff: string, maxBatches: number) {
  const t = RETENTION_TABLES[table];
  return deleteInBatches(
    d1,
    `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${t.time} < ?1 AND ${t.deletable} ORDER BY id LIMIT ${RETENTION_BATCH})`,
    cutoff,
    maxBatches,
  );
}

/** Runs a `DELETE … LIMIT RETENTION_BATCH` statement (bound to the cutoff) until it deletes less than a batch. */
async function deleteInBatches(d1: D1Database, statement: string, cutoff: string, maxBatches: number) {
  let deleted = 0;
  for (let b = 0; b < maxBatches; b++) {
    const r = await d1.prepare(statement).bind(cutoff).run();
    deleted += r.meta.changes;
    if (r.meta.changes < RETENTION_BATCH) return { deleted, batches: b + 1, more_left: false };
  }
  return { deleted, batches: maxBatches, more_left: true };
}

/**
 * Upstream usage counters of windows not written since the cutoff (issue 12). Nothing to archive: the
 * counts are operational, shown by the status only for the current windows.
 *
 * Price ticks have no D1 table: each PositionActor keeps its last 500 ticks in its own storage (a ring,
 * durable-objects/position-actor.ts), so they never grow without bound and need no retention here.
 */
function deleteOldUsage(d1: D1Database, cutoff: string, maxBatches: number) {
  return deleteInBatches(
    d1,
    `DELETE FROM rate_usage WHERE rowid IN (SELECT rowid FROM rate_usage WHERE updated_at < ?1 LIMIT ${RETENTION_BATCH})`,
    cutoff,
    maxBatches,
  );
}

/**
 * The outcome rows of signals deleted above (`signal_outcomes` is keyed by signal and has no foreign key:
 * signals are append-only and their outcomes are written beside them). An outcome row always names a signal
 * that was in D1 (its insert resolves the id from `signals`), so one left without its signal is one retention
 * deleted the signal of; only those older than the cutoff go.
 */
function deleteOrphanOutcomes(d1: D1Database, cutoff: string, maxBatches: number) {
  return deleteInBatches(
    d1,
    `DELETE FROM signal_outcomes WHERE rowid IN (SELECT o.rowid FROM signal_outcomes o
       WHERE o.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM signals s WHERE s.id = o.signal_id)
       LIMIT ${RETENTION_BATCH})`,
    cutoff,
    maxBatches,
  );
}

export const runRetention: Job = async (env, scheduledTime) => {
  const cfg = await loadConfig(getDb(env.DB));
  const cutoff = nowIso(scheduledTime - cfg.retention_days * 86_400_000);
  let budget = RETENTION_MAX_BATCHES;
  const tables: Record<string, unknown> = {};
  for (const table of Object.keys(RETENTION_TABLES) as RetentionTable[]) {
    const r = await deleteOlderThan(env.DB, table, cutoff, Math.max(1, Math.floor(budget / 2)));
    budget -= r.batches;
    tables[table] = r;
    if (table === "signals") {
      const o = await deleteOrphanOutcomes(env.DB, cutoff, Math.max(1, Math.floor(budget / 2)));
      budget -= o.batches;
      tables.signal_outcomes = o;
    }
  }
  tables.rate_usage = await deleteOldUsage(env.DB, cutoff, Math.max(1, budget));
  return { status: "ok", detail: { retention_days: cfg.retention_days, cutoff, tables } };
};
