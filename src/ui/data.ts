import { desc, eq, gte, inArray, ne, sql } from "drizzle-orm";
import { blockedWhileOpen, breakerState } from "../db/circuit-breaker";
import type { Db } from "../db/client";
import { loadConfig } from "../db/config-store";
import { jobRuns, orders, positions, signals, tokens, wallets } from "../db/schema";
import { nowIso } from "../lib/time";

/** Read models of the dashboard pages, straight from D1 (never through the Worker's own HTTP API). */
export const DASHBOARD_JOBS = ["helius_sync", "hourly_refresh", "performance_aggregation"] as const;

export async function overviewData(db: Db, now: number = Date.now()) {
  const since24h = nowIso(now - 24 * 3600 * 1000);
  const [breaker, blocked, cfg, activeWallets, openPositions, sig, inFlight, pnl, jobs] = await Promise.all([
    breakerState(db),
    blockedWhileOpen(db),
    loadConfig(db),
    db.select({ n: sql<number>`count(*)` }).from(wallets).where(eq(wallets.is_active, true)).get(),
    db.select({ n: sql<number>`count(*)` }).from(positions).where(ne(positions.status, "closed")).get(),
    db
      .select({
        n: sql<number>`count(*)`,
        filtered: sql<number>`coalesce(sum(case when ${signals.filtered} then 1 else 0 end), 0)`,
      })
      .from(signals)
      .where(gte(signals.created_at, since24h))
      .get(),
    db
      .select({ status: orders.status, n: sql<number>`count(*)` })
      .from(orders)
      .where(inArray(orders.status, ["pending", "executing", "submitted"]))
      .groupBy(orders.status)
      .all(),
    db
      .select({
        realized: sql<number>`coalesce(sum(${positions.realized_pnl_usd}), 0)`,
        unrealized: sql<number>`coalesce(sum(case when ${positions.status} != 'closed' then ${positions.unrealized_pnl_usd} else 0 end), 0)`,
      })
      .from(positions)
      .get(),
    Promise.all(
      DASHBOARD_JOBS.map(async (job) => ({
        job,
        run:
          (await db
            .select()
            .from(jobRuns)
            .where(eq(jobRuns.job, job))
            .orderBy(desc(jobRuns.started_at), desc(jobRuns.id))
            .limit(1)
            .get()) ?? null,
      })),
    ),
  ]);
  const orderCount = (s: string) => inFlight.find((o) => o.status === s)?.n ?? 0;
  const realized = pnl?.realized ?? 0;
  const unrealized = pnl?.unrealized ?? 0;
  return {
    breaker: { ...breaker, new_positions_blocked: blocked },
    counts: {
      active_wallets: activeWallets?.n ?? 0,
      open_positions: openPositions?.n ?? 0,
      signals_24h: sig?.n ?? 0,
      filtered_24h: sig?.filtered ?? 0,
      pending_orders: orderCount("pending"),
      in_flight_orders: orderCount("executing") + orderCount("submitted"),
    },
    pnl: { realized, unrealized, total: realized + unrealized },
    jobs,
    helius: {
      webhook_id: cfg.helius_webhook_id,
      last_sync_at: cfg.helius_last_sync_at,
      last_sync_status: cfg.helius_last_sync_status,
      last_sync_error: cfg.helius_last_sync_error,
    },
  };
}
export type OverviewData = Awaited<ReturnType<typeof overviewData>>;

export async function positionsData(db: Db) {
  const [open, closed] = await Promise.all([
    db
      .select()
      .from(positions)
      .where(ne(positions.status, "closed"))
      .orderBy(desc(positions.opened_at), desc(positions.id))
      .all(),
    db
      .select()
      .from(positions)
      .where(eq(positions.status, "closed"))
      .orderBy(desc(positions.closed_at), desc(positions.id))
      .limit(50)
      .all(),
  ]);
  return { open, closed };
}
export type PositionsData = Awaited<ReturnType<typeof positionsData>>;

export async function signalsData(db: Db) {
  return db
    .select({
      id: signals.id,
      created_at: signals.created_at,
      block_time: signals.block_time,
      wallet_address: signals.wallet_address,
      wallet_label: wallets.label,
      signal_type: signals.signal_type,
      token_mint: signals.token_mint,
      sol_amount: signals.sol_amount,
      filtered: signals.filtered,
      filter_reason: signals.filter_reason,
      order_id: signals.order_id,
      processed_at: signals.processed_at,
    })
    .from(signals)
    .leftJoin(wallets, eq(wallets.id, signals.wallet_id))
    .orderBy(desc(signals.created_at), desc(signals.id))
    .limit(100)
    .all();
}
export type SignalRow = Awaited<ReturnType<typeof signalsData>>[number];

export async function walletsData(db: Db) {
  return db.select().from(wallets).orderBy(desc(wallets.is_active), desc(wallets.created_at), desc(wallets.id)).all();
}

export async function tokensData(db: Db) {
  return db.select().from(tokens).orderBy(desc(tokens.updated_at), desc(tokens.mint_address)).limit(100).all();
}
