import { and, count, eq, getTableColumns, gt, sql } from "drizzle-orm";
import type { LiveGateInput, LiveGateResult } from "../domain/live-gate";
import { winRate } from "../domain/live-gate";
import type { Db } from "./client";
import { loadConfig } from "./config-store";
import { liveGateOverrides, positions, type WalletRow, wallets } from "./schema";

/** The live gate's numbers for one wallet: its last evaluation and its closed simulation copies. */
export async function liveGateInput(db: Db, wallet: WalletRow | null): Promise<LiveGateInput> {
  const cfg = await loadConfig(db);
  let simulation = { trades: 0, win_rate_percent: null as number | null };
  if (wallet) {
    const closedSim = and(
      eq(positions.wallet_id, wallet.id),
      eq(positions.mode, "simulation"),
      eq(positions.status, "closed"),
    );
    const [all, won] = await Promise.all([
      db.select({ n: count() }).from(positions).where(closedSim).get(),
      db
        .select({ n: count() })
        .from(positions)
        .where(and(closedSim, gt(positions.realized_pnl_usd, sql`0`)))
        .get(),
    ]);
    const trades = all?.n ?? 0;
    simulation = { trades, win_rate_percent: winRate(won?.n ?? 0, trades) };
  }
  return {
    evaluation:
      wallet?.evaluated_at != null
        ? {
            trades: wallet.evaluation_trades ?? 0,
            win_rate_percent: wallet.evaluation_win_rate_percent,
            evaluated_at: wallet.evaluated_at,
          }
        : null,
    simulation,
    live_min_trades: cfg.live_min_trades,
    live_min_win_rate_percent: cfg.live_min_win_rate_percent,
  };
}

/** The audit row of a forced switch to live past a refusing gate (immutable; one per override). */
export function overrideRow(address: string, walletId: number | null, g: LiveGateInput, gate: LiveGateResult) {
  return {
    wallet_id: walletId,
    wallet_address: address,
    evaluation_trades: g.evaluation?.trades ?? null,
    evaluation_win_rate_percent: g.evaluation?.win_rate_percent ?? null,
    simulation_trades: g.simulation.trades,
    simulation_win_rate_percent: g.simulation.win_rate_percent,
    required_trades: g.live_min_trades,
    required_win_rate_percent: g.live_min_win_rate_percent,
    detail: gate.ok ? "gate passed" : gate.detail,
  };
}

/**
 * The override's audit row, inserted only if the wallet is still at `version` (If-Match): put before the
 * wallet's conditional UPDATE in one batch, both see the same version, so the switch and its record land
 * together or neither does. INSERT … SELECT lists every column in the table's order (drizzle's insert order).
 */
export function overrideInsertIfVersion(
  db: Db,
  row: ReturnType<typeof overrideRow>,
  walletId: number,
  version: string,
  now: string = new Date().toISOString(),
) {
  const values: Record<string, unknown> = { ...row, id: null, created_at: now };
  const list = sql.join(
    Object.keys(getTableColumns(liveGateOverrides)).map((k) => sql`${values[k] ?? null}`),
    sql`, `,
  );
  return db
    .insert(liveGateOverrides)
    .select(
      sql`SELECT ${list} WHERE EXISTS (SELECT 1 FROM ${wallets} WHERE ${wallets.id} = ${walletId} AND ${wallets.updated_at} = ${version})`,
    );
}
