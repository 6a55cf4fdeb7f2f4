import { type AnyColumn, isNotNull, type SQL, sql } from "drizzle-orm";
import { computeStats, PERIOD_MS, type PerformanceStats, type Period } from "../domain/performance";
import { nowIso } from "../lib/time";
import type { Db } from "./client";
import { positions, signals, wallets } from "./schema";

/** Performance rows per upsert statement: one JSON parameter each (D1 allows 100 bound parameters). */
const ROWS_PER_STATEMENT = 200;

const STAT_COLUMNS = [
  "signal_count",
  "filtered_signal_count",
  "position_count",
  "open_position_count",
  "closed_position_count",
  "wins",
  "losses",
  "win_rate_percent",
  "total_pnl_usd",
  "avg_pnl_usd",
  "avg_win_usd",
  "avg_loss_usd",
  "profit_ratio",
  "best_trade_usd",
  "worst_trade_usd",
  "longest_win_streak",
  "longest_loss_streak",
  "current_streak",
] as const satisfies readonly (keyof PerformanceStats)[];

/**
 * Recomputes and upserts the four period rows of each wallet (all wallets when none given), in set
 * queries (issue 12): three reads for the whole book (wallets, positions, signals) and one upsert per
 * ROWS_PER_STATEMENT rows, all in one atomic batch — not three queries per wallet, which passed D1's
 * 1,000-queries-per-invocation limit near 333 wallets. A wallet's four rows sit in the same statement.
 */
export async function recomputePerformance(db: Db, now = Date.now(), walletIds?: number[]) {
  const filter = walletIds?.length ? walletIds : null;
  // One JSON parameter whatever the number of ids (D1 allows 100 bound parameters per statement).
  const inIds = (col: AnyColumn): SQL => sql`${col} IN (SELECT value FROM json_each(${JSON.stringify(filter)}))`;
  const [ws, pos, sig] = await Promise.all([
    db
      .select({ id: wallets.id })
      .from(wallets)
      .where(filter ? inIds(wallets.id) : undefined)
      .all(),
    db
      .select({
        wallet_id: positions.wallet_id,
        status: positions.status,
        opened_at: positions.opened_at,
        closed_at: positions.closed_at,
        total_pnl_usd: positions.total_pnl_usd,
      })
      .from(positions)
      .where(filter ? inIds(positions.wallet_id) : isNotNull(positions.wallet_id))
      .all(),
    db
      .select({ wallet_id: signals.wallet_id, created_at: signals.created_at, filtered: signals.filtered })
      .from(signals)
      .where(filter ? inIds(signals.wallet_id) : isNotNull(signals.wallet_id))
      .all(),
  ]);
  const posBy = groupBy(pos, (p) => p.wallet_id);
  const sigBy = groupBy(sig, (s) => s.wallet_id);
  const computedAt = nowIso(now);
  const rows: Record<string, unknown>[] = [];
  for (const { id } of ws) {
    const p = posBy.get(id) ?? [];
    const input = {
      closed: p
        .filter((x) => x.status === "closed" && x.closed_at)
        .map((x) => ({ closed_at: x.closed_at as string, total_pnl_usd: x.total_pnl_usd })),
      position_opened_at: p.map((x) => x.opened_at),
      open_position_count: p.filter((x) => x.status !== "closed").length,
      signals: (sigBy.get(id) ?? []).map((s) => ({ created_at: s.created_at, filtered: s.filtered })),
    };
    for (const period of Object.keys(PERIOD_MS) as Period[])
      rows.push({ wallet_id: id, period, ...computeStats(input, period, now) });
  }
  const cols = ["wallet_id", "period", ...STAT_COLUMNS, "computed_at"];
  const sqlText = `INSERT INTO performance (${cols.join(", ")})
    SELECT ${cols.map((c) => (c === "computed_at" ? "?2" : `json_extract(value, '$.${c}')`)).join(", ")}
    FROM json_each(?1) WHERE true
    ON CONFLICT (wallet_id, period) DO UPDATE SET ${[...STAT_COLUMNS, "computed_at"].map((c) => `${c} = excluded.${c}`).join(", ")}`;
  const d1 = db.$client;
  const stmts: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
    stmts.push(d1.prepare(sqlText).bind(JSON.stringify(rows.slice(i, i + ROWS_PER_STATEMENT)), computedAt));
  if (stmts.length) await d1.batch(stmts);
  return { wallets: ws.length, rows: rows.length, computed_at: computedAt, statements: stmts.length + 3 };
}

function groupBy<T>(items: readonly T[], key: (t: T) => number | null): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const it of items) {
    const k = key(it);
    if (k == null) continue;
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}
