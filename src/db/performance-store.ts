import { eq, inArray } from "drizzle-orm";
import { computeStats, PERIOD_MS, type Period } from "../domain/performance";
import { nowIso } from "../lib/time";
import type { Db } from "./client";
import { performance, positions, signals, WALLET_MODES, wallets } from "./schema";

/**
 * Recomputes and upserts the period rows of each wallet (all wallets when none given), one set per mode:
 * a position counts in the mode it traded in, so live PnL is never mixed with simulated PnL. Signal
 * counts describe the leader, not the money, and are the same in both.
 */
export async function recomputePerformance(db: Db, now = Date.now(), walletIds?: number[]) {
  const ws = await db
    .select({ id: wallets.id })
    .from(wallets)
    .where(walletIds?.length ? inArray(wallets.id, walletIds) : undefined)
    .all();
  const computedAt = nowIso(now);
  let rows = 0;
  for (const { id } of ws) {
    const [pos, sig] = await Promise.all([
      db
        .select({
          status: positions.status,
          mode: positions.mode,
          opened_at: positions.opened_at,
          closed_at: positions.closed_at,
          total_pnl_usd: positions.total_pnl_usd,
          pnl_percent: positions.pnl_percent,
          entry_cost_usd: positions.entry_cost_usd,
        })
        .from(positions)
        .where(eq(positions.wallet_id, id))
        .all(),
      db
        .select({ created_at: signals.created_at, filtered: signals.filtered })
        .from(signals)
        .where(eq(signals.wallet_id, id))
        .all(),
    ]);
    const upserts = WALLET_MODES.flatMap((mode) => {
      const mine = pos.filter((p) => p.mode === mode);
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
        signals: sig,
      };
      return (Object.keys(PERIOD_MS) as Period[]).map((period) => {
        const stats = computeStats(input, period, now);
        return db
          .insert(performance)
          .values({ wallet_id: id, period, mode, ...stats, computed_at: computedAt })
          .onConflictDoUpdate({
            target: [performance.wallet_id, performance.period, performance.mode],
            set: { ...stats, computed_at: computedAt },
          });
      });
    });
    // One atomic batch per wallet: its periods and modes always agree with each other.
    await db.batch(upserts as [(typeof upserts)[number], ...typeof upserts]);
    rows += upserts.length;
  }
  return { wallets: ws.length, rows, computed_at: computedAt };
}
