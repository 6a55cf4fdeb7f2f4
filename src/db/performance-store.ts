import { type AnyColumn, isNotNull, type SQL, sql } from "drizzle-orm";
import { computeStats, PERIOD_MS, type PerformanceStats, type Period } from "../domain/performance";
import { nowIso } from "../lib/time";
import type { Db } from "./client";
import { positions, signals, WALLET_MODES, wallets } from "./schema";
import { effectiveSignal } from "./signal-outcomes";

/** Performance rows per upsert statement: one JSON parameter each (D1 allows 100 bound parameters). */
const ROWS_PER_STATEMENT = 200;

// Every key of PerformanceStats, checked both ways by the compiler (a new stat cannot be forgotten here).
const STATS: Record<keyof PerformanceStats, true> = {
  signal_count: true,
  filtered_signal_count: true,
  position_count: true,
  open_position_count: true,
  closed_position_count: true,
  wins: true,
  losses: true,
  win_rate_percent: true,
  total_pnl_usd: true,
  total_pnl_percent: true,
  avg_pnl_usd: true,
  avg_win_usd: true,
  avg_loss_usd: true,
  profit_ratio: true,
  profit_factor: true,
  best_trade_usd: true,
  worst_trade_usd: true,
  best_trade_percent: true,
  worst_trade_percent: true,
  avg_hold_minutes: true,
  longest_win_streak: true,
  longest_loss_streak: true,
  current_streak: true,
};
const STAT_COLUMNS = Object.keys(STATS) as (keyof PerformanceStats)[];

/**
 * Recomputes and upserts the period rows of each wallet (all wallets when none given), one set per mode:
 * a position counts in the mode it traded in, so live PnL is never mixed with simulated PnL. Signal
 * counts describe the leader, not the money, and are the same in both.
 *
 * In set queries (issue 12): three reads for the whole book (wallets, positions, signals) and one upsert
 * per ROWS_PER_STATEMENT rows, all in one atomic batch — not three queries per wallet, which passed D1's
 * 1,000-queries-per-invocation limit near 333 wallets.
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
        mode: positions.mode,
        opened_at: positions.opened_at,
        closed_at: positions.closed_at,
        total_pnl_usd: positions.total_pnl_usd,
        pnl_percent: positions.pnl_percent,
        entry_cost_usd: positions.entry_cost_usd,
      })
      .from(positions)
      .where(filter ? inIds(positions.wallet_id) : isNotNull(positions.wallet_id))
      .all(),
    db
      .select({ wallet_id: signals.wallet_id, created_at: signals.created_at, filtered: effectiveSignal.filtered })
      .from(signals)
      .where(filter ? inIds(signals.wallet_id) : isNotNull(signals.wallet_id))
      .all(),
  ]);
  const posBy = groupBy(pos, (p) => p.wallet_id);
  const sigBy = groupBy(sig, (s) => s.wallet_id);
  const computedAt = nowIso(now);
  const rows: Record<string, unknown>[] = [];
  for (const { id } of ws) {
    const walletSignals = (sigBy.get(id) ?? []).map((s) => ({ created_at: s.created_at, filtered: s.filtered }));
    for (const mode of WALLET_MODES) {
      const mine = (posBy.get(id) ?? []).filter((p) => p.mode === mode);
      const input = {
        closed: mine
          .filter((p) => p.status === "closed" && p.closed_at)
          .map((p) => ({
            opened_at: p.opened_at,
            closed_at: p.closed_at as string,
            total_pnl_usd: p.total_pnl_usd,
            pnl_percent: p.pnl_percent,
            entry_cost_usd: p.entry_cost_usd,
          })),
        position_opened_at: mine.map((p) => p.opened_at),
        open_position_count: mine.filter((p) => p.status !== "closed").length,
        signals: walletSignals,
      };
      for (const period of Object.keys(PERIOD_MS) as Period[])
        rows.push({ wallet_id: id, period, mode, ...computeStats(input, period, now) });
    }
  }
  const cols = ["wallet_id", "period", "mode", ...STAT_COLUMNS, "computed_at"];
  const sqlText = `INSERT INTO performance (${cols.join(", ")})
    SELECT ${cols.map((c) => (c === "computed_at" ? "?2" : `json_extract(value, '$.${c}')`)).join(", ")}
    FROM json_each(?1) WHERE true
    ON CONFLICT (wallet_id, period, mode) DO UPDATE SET ${[...STAT_COLUMNS, "computed_at"].map((c) => `${c} = excluded.${c}`).join(", ")}`;
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
