import { eq, inArray } from "drizzle-orm";
import { type LivePosition, MISSING_OBSERVATION_GAP_MS, type PositionFills, subjectOf } from "../domain/reconciliation";
import { nowIso } from "../lib/time";
import type { Db } from "./client";
import { reconciliationMissing } from "./schema";

/** Orders whose D1 row is still moving: ours may explain what the chain (or the position) shows. */
export const IN_FLIGHT_ORDER_STATUSES = ["pending", "executing", "submitted"] as const;
/** D1 trails the actors by about a second; a fill younger than this may not have reached its position yet. */
export const FILL_SETTLE_MS = 5 * 60_000;
/** Closed positions are checked against their fills for this long after closing (their PnL no longer moves). */
export const CLOSED_RECHECK_MS = 7 * 86_400_000;

/**
 * Positions with their filled sell orders, in one joined read (orders are indexed by position). A position
 * with an order still in flight, or a fill younger than FILL_SETTLE_MS, is left for a later run.
 */
export async function loadPositionFills(d1: D1Database, now: number) {
  const rows = await d1
    .prepare(
      `SELECT p.id, p.token_mint, p.mode, p.entry_amount, p.entry_cost_usd, p.realized_pnl_usd,
              o.side, o.status AS order_status, o.executed_in_amount, o.executed_usd, o.executed_at
       FROM positions p LEFT JOIN orders o ON o.position_id = p.id
       WHERE p.closed_at IS NULL OR p.closed_at >= ?1
       ORDER BY p.id`,
    )
    .bind(nowIso(now - CLOSED_RECHECK_MS))
    .all<{
      id: string;
      token_mint: string;
      mode: "simulation" | "live";
      entry_amount: string;
      entry_cost_usd: number;
      realized_pnl_usd: number;
      side: string | null;
      order_status: string | null;
      executed_in_amount: string | null;
      executed_usd: number | null;
      executed_at: string | null;
    }>();
  const byId = new Map<string, PositionFills & { unsettled: boolean }>();
  const settledBefore = nowIso(now - FILL_SETTLE_MS);
  for (const r of rows.results) {
    let p = byId.get(r.id);
    if (!p) {
      p = {
        id: r.id,
        token_mint: r.token_mint,
        mode: r.mode,
        entry_amount: r.entry_amount,
        entry_cost_usd: r.entry_cost_usd,
        realized_pnl_usd: r.realized_pnl_usd,
        fills: [],
        unsettled: false,
      };
      byId.set(r.id, p);
    }
    if (r.order_status && (IN_FLIGHT_ORDER_STATUSES as readonly string[]).includes(r.order_status)) p.unsettled = true;
    if (r.side === "sell" && r.order_status === "filled") {
      if (!r.executed_at || r.executed_at > settledBefore) p.unsettled = true;
      p.fills.push({ sold_amount: r.executed_in_amount ?? "0", proceeds_usd: r.executed_usd ?? 0 });
    }
  }
  const positions: PositionFills[] = [];
  const skipped_subjects: string[] = [];
  for (const p of byId.values()) {
    if (p.unsettled) skipped_subjects.push(subjectOf("pnl_mismatch", p.id));
    else {
      const { unsettled: _u, ...rest } = p;
      positions.push(rest);
    }
  }
  return { positions, skipped_subjects };
}

/**
 * One more missing observation of a position, keyed by the holdings snapshot: a snapshot less than
 * MISSING_OBSERVATION_GAP_MS after the last counted one (a run repeated) does not count again. One statement,
 * so the count cannot be lost between a read and a write. Returns the count after this observation.
 */
export async function recordMissing(d1: D1Database, p: LivePosition, snapshotAt: string): Promise<number> {
  const countsBefore = nowIso(Date.parse(snapshotAt) - MISSING_OBSERVATION_GAP_MS);
  const row = await d1
    .prepare(
      `INSERT INTO reconciliation_missing (position_id, token_mint, observations, first_seen_at, last_snapshot_at)
       VALUES (?1, ?2, 1, ?3, ?3)
       ON CONFLICT (position_id) DO UPDATE SET
         observations = CASE WHEN last_snapshot_at <= ?4 THEN observations + 1 ELSE observations END,
         last_snapshot_at = CASE WHEN last_snapshot_at <= ?4 THEN excluded.last_snapshot_at ELSE last_snapshot_at END
       RETURNING observations`,
    )
    .bind(p.id, p.token_mint, snapshotAt, countsBefore)
    .first<{ observations: number }>();
  return row?.observations ?? 1;
}

/**
 * A position whose tokens are held again starts its count over; rows of positions no longer open and live
 * (closed by us or by reconciliation) are dropped.
 */
export async function resetMissing(db: Db, d1: D1Database, presentIds: readonly string[]) {
  for (let i = 0; i < presentIds.length; i += 90)
    await db
      .delete(reconciliationMissing)
      .where(inArray(reconciliationMissing.position_id, presentIds.slice(i, i + 90)));
  await d1
    .prepare(
      `DELETE FROM reconciliation_missing WHERE position_id NOT IN
         (SELECT id FROM positions WHERE mode = 'live' AND status IN ('open', 'closing'))`,
    )
    .run();
}

export const forgetMissing = (db: Db, positionId: string) =>
  db.delete(reconciliationMissing).where(eq(reconciliationMissing.position_id, positionId));
