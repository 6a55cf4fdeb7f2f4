import { ALERT_KINDS, type AlertInput } from "../domain/alerts";
import { nowIso } from "../lib/time";
import { enqueueAlertStmt } from "./notifications";

/**
 * Raises an alert: one statement, deduplicated by the partial unique index on (kind, subject) among
 * unresolved rows, so two concurrent raisers make one row with count 2. An event kind already raised
 * once for this subject (in any state) is not raised again. Returns the row and whether it is new.
 * A new alert's notifications are queued in the same D1 batch (atomic): raised means notified, eventually.
 */
export async function raiseAlert(
  d1: D1Database,
  a: AlertInput,
  now = Date.now(),
): Promise<{ id: number; created: boolean; count: number } | null> {
  const meta = ALERT_KINDS[a.kind];
  const at = nowIso(now);
  const detail = JSON.stringify(a.detail ?? {});
  if (meta.type === "event") {
    const [inserted] = await d1.batch<{ id: number; count: number }>([
      d1
        .prepare(
          `INSERT INTO alerts (kind, subject, severity, message, detail, first_seen_at, last_seen_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
         WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE kind = ?1 AND subject = ?2)
         ON CONFLICT DO NOTHING
         RETURNING id, count`,
        )
        .bind(a.kind, a.subject, meta.severity, a.message.slice(0, 500), detail, at),
      enqueueAlertStmt(d1, a.kind, a.subject, at),
    ]);
    const row = inserted?.results[0];
    return row ? { ...row, created: true } : null;
  }
  const [upserted] = await d1.batch<{ id: number; count: number }>([
    d1
      .prepare(
        `INSERT INTO alerts (kind, subject, severity, message, detail, first_seen_at, last_seen_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
       ON CONFLICT (kind, subject) WHERE status != 'resolved'
       DO UPDATE SET count = count + 1, last_seen_at = ?6, message = ?4, detail = ?5
       RETURNING id, count`,
      )
      .bind(a.kind, a.subject, meta.severity, a.message.slice(0, 500), detail, at),
    enqueueAlertStmt(d1, a.kind, a.subject, at),
  ]);
  const row = upserted?.results[0];
  if (!row) return null;
  return { ...row, created: row.count === 1 };
}

/** Resolves the unresolved alert of (kind, subject), if any (a condition that cleared). */
export async function resolveAlertOf(d1: D1Database, kind: string, subject: string, by: string, now = Date.now()) {
  const r = await d1
    .prepare(
      "UPDATE alerts SET status = 'resolved', resolved_at = ?3, resolved_by = ?4 WHERE kind = ?1 AND subject = ?2 AND status != 'resolved'",
    )
    .bind(kind, subject, nowIso(now), by)
    .run();
  return r.meta.changes;
}
