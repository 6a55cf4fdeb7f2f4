import { eq, inArray } from "drizzle-orm";
import { computeStats, PERIOD_MS, type Period } from "../domain/performance";
import { nowIso } from "../lib/time";
import type { Db } from "./client";
import { performance, positions, signals, wallets } from "./schema";

/** Recomputes and upserts the four period rows of each wallet (all wallets when none given). */
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
          opened_at: positions.opened_at,
          closed_at: positions.closed_at,
          total_pnl_usd: positions.total_pnl_usd,
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
    const input = {
      closed: pos
        .filter((p) => p.status === "closed" && p.closed_at)
        .map((p) => ({ closed_at: p.closed_at as string, total_pnl_usd: p.total_pnl_usd })),
      position_opened_at: pos.map((p) => p.opened_at),
      open_position_count: pos.filter((p) => p.status !== "closed").length,
      signals: sig,
    };
    const upserts = (Object.keys(PERIOD_MS) as Period[]).map((period) => {
      const stats = computeStats(input, period, now);
      return db
        .insert(performance)
        .values({ wallet_id: id, period, ...stats, computed_at: computedAt })
        .onConflictDoUpdate({
          target: [performance.wallet_id, performance.period],
          set: { ...stats, computed_at: computedAt },
        });
    });
    // One atomic batch per wallet: its four periods always agree with each other.
    await db.batch(upserts as [(typeof upserts)[number], ...typeof upserts]);
    rows += upserts.length;
  }
  return { wallets: ws.length, rows, computed_at: computedAt };
}
