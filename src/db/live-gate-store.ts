import { and, count, eq, gt, sql } from "drizzle-orm";
import type { LiveGateInput, LiveGateResult } from "../domain/live-gate";
import { winRate } from "../domain/live-gate";
import type { Db } from "./client";
import { loadConfig } from "./config-store";
import { positions, type WalletRow } from "./schema";

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
