import { and, asc, eq, isNotNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { exitStrategies, PERFORMANCE_PERIODS, performance, positions, type WalletRow, wallets } from "../db/schema";
import type { ChartSpec } from "./data";

export type PerformanceView = typeof performance.$inferSelect;

/** One watchlist row: the wallet and its all-time performance in the mode it trades in now. */
export interface WatchlistRow {
  wallet: WalletRow;
  strategy: string | null;
  perf: PerformanceView | null;
}

export const WATCHLIST_SORTS = [
  "label",
  "mode",
  "active",
  "last_signal",
  "trades",
  "win_rate",
  "pnl",
  "streak",
] as const;
export type WatchlistSort = (typeof WATCHLIST_SORTS)[number];
export type SortDir = "asc" | "desc";

/** `?sort=&dir=` from the query; anything unknown falls back to the default order (active first, newest). */
export function watchlistSortOf(q: { sort?: string; dir?: string }): { sort: WatchlistSort | null; dir: SortDir } {
  const sort = (WATCHLIST_SORTS as readonly string[]).includes(q.sort ?? "") ? (q.sort as WatchlistSort) : null;
  return { sort, dir: q.dir === "asc" ? "asc" : "desc" };
}

const sortKey = (r: WatchlistRow, s: WatchlistSort): string | number | null => {
  switch (s) {
    case "label":
      return (r.wallet.label ?? r.wallet.address).toLowerCase();
    case "mode":
      return r.wallet.mode;
    case "active":
      return r.wallet.is_active ? 1 : 0;
    case "last_signal":
      return r.wallet.last_signal_at;
    case "trades":
      return r.perf?.closed_position_count ?? null;
    case "win_rate":
      return r.perf?.win_rate_percent ?? null;
    case "pnl":
      return r.perf?.total_pnl_usd ?? null;
    case "streak":
      return r.perf?.current_streak ?? null;
  }
};

/** Sorts by one column; rows without a value (no trades yet, never signalled) always come last. */
export function sortWatchlist(rows: WatchlistRow[], sort: WatchlistSort | null, dir: SortDir): WatchlistRow[] {
  if (!sort) return rows;
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortKey(a, sort);
    const y = sortKey(b, sort);
    if (x === y) return a.wallet.id - b.wallet.id;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

export async function watchlistData(db: Db, sort: WatchlistSort | null, dir: SortDir): Promise<WatchlistRow[]> {
  const [rows, perf, strategies] = await Promise.all([
    db.select().from(wallets).all(),
    db.select().from(performance).where(eq(performance.period, "all")).all(),
    db.select({ id: exitStrategies.id, name: exitStrategies.name }).from(exitStrategies).all(),
  ]);
  // The existing default order: active first, newest first.
  rows.sort(
    (a, b) => Number(b.is_active) - Number(a.is_active) || b.created_at.localeCompare(a.created_at) || b.id - a.id,
  );
  const out = rows.map((w) => ({
    wallet: w,
    strategy: strategies.find((s) => s.id === w.exit_strategy_id)?.name ?? null,
    perf: perf.find((p) => p.wallet_id === w.id && p.mode === w.mode) ?? null,
  }));
  return sortWatchlist(out, sort, dir);
}

/** A wallet's realized PnL over time (cumulative at each close), simulation and live apart. */
export async function walletPnlChart(db: Db, walletId: number): Promise<ChartSpec> {
  const closed = await db
    .select({ mode: positions.mode, closed_at: positions.closed_at, pnl: positions.total_pnl_usd })
    .from(positions)
    .where(and(eq(positions.wallet_id, walletId), isNotNull(positions.closed_at)))
    .orderBy(asc(positions.closed_at), asc(positions.id))
    .all();
  const x: number[] = [];
  const cum = { simulation: 0, live: 0 };
  const values = { simulation: [] as number[], live: [] as number[] };
  for (const r of closed) {
    const t = Math.floor(Date.parse(r.closed_at ?? "") / 1000);
    if (!Number.isFinite(t)) continue;
    cum[r.mode] += r.pnl;
    x.push(t);
    values.simulation.push(cum.simulation);
    values.live.push(cum.live);
  }
  return {
    kind: "line",
    x,
    series: [
      { label: "simulation (USD)", values: values.simulation, color: "--link" },
      { label: "live (USD)", values: values.live, color: "--pos" },
    ],
  };
}

export async function walletDetailData(db: Db, id: number) {
  const wallet = await db.select().from(wallets).where(eq(wallets.id, id)).get();
  if (!wallet) return null;
  const [strategies, perf, chart] = await Promise.all([
    db
      .select({ id: exitStrategies.id, name: exitStrategies.name, is_default: exitStrategies.is_default })
      .from(exitStrategies)
      .orderBy(asc(exitStrategies.id))
      .all(),
    db.select().from(performance).where(eq(performance.wallet_id, id)).all(),
    walletPnlChart(db, id),
  ]);
  // Windows in the seed's order (all, 30d, 7d, 24h), per mode; a mode with no row yet is left out.
  const byMode = (["simulation", "live"] as const).flatMap((mode) => {
    const rows = PERFORMANCE_PERIODS.map((period) => perf.find((p) => p.mode === mode && p.period === period) ?? null);
    return rows.some(Boolean) ? [{ mode, rows }] : [];
  });
  return { wallet, strategies, performance: byMode, chart };
}
export type WalletDetail = NonNullable<Awaited<ReturnType<typeof walletDetailData>>>;
