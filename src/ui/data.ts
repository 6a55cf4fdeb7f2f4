import { and, asc, desc, eq, gte, inArray, isNotNull, ne, or, type SQL, sql } from "drizzle-orm";
import { blockedWhileOpen, breakerState } from "../db/circuit-breaker";
import type { Db } from "../db/client";
import { loadConfig } from "../db/config-store";
import { exitStrategies, jobRuns, orders, type PositionRow, positions, signals, tokens, wallets } from "../db/schema";
import { effectiveSignal } from "../db/signal-outcomes";
import { type ExitLevels, exitLevels } from "../domain/exit-levels";
import { mergeStrategy, rulesFromRow, StrategyOverrideSchema, type StrategyRules } from "../domain/exit-strategy";
import { nowIso } from "../lib/time";

/** Read models of the dashboard pages, straight from D1 (never through the Worker's own HTTP API). */
export const DASHBOARD_JOBS = ["helius_sync", "hourly_refresh", "performance_aggregation"] as const;

/** The overview's summary cards (counts and PnL): the whole page shows them, /partials/overview-cards refreshes them. */
export async function overviewCardsData(db: Db, now: number = Date.now()) {
  const since24h = nowIso(now - 24 * 3600 * 1000);
  const [activeWallets, openPositions, sig, inFlight, pnl] = await Promise.all([
    db.select({ n: sql<number>`count(*)` }).from(wallets).where(eq(wallets.is_active, true)).get(),
    db.select({ n: sql<number>`count(*)` }).from(positions).where(ne(positions.status, "closed")).get(),
    db
      .select({
        n: sql<number>`count(*)`,
        filtered: sql<number>`coalesce(sum(${effectiveSignal.filtered}), 0)`,
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
  ]);
  const orderCount = (s: string) => inFlight.find((o) => o.status === s)?.n ?? 0;
  const realized = pnl?.realized ?? 0;
  const unrealized = pnl?.unrealized ?? 0;
  return {
    counts: {
      active_wallets: activeWallets?.n ?? 0,
      open_positions: openPositions?.n ?? 0,
      signals_24h: sig?.n ?? 0,
      filtered_24h: sig?.filtered ?? 0,
      pending_orders: orderCount("pending"),
      in_flight_orders: orderCount("executing") + orderCount("submitted"),
    },
    pnl: { realized, unrealized, total: realized + unrealized },
  };
}
export type OverviewCardsData = Awaited<ReturnType<typeof overviewCardsData>>;

export async function overviewData(db: Db, now: number = Date.now()) {
  const [breaker, blocked, cfg, cards, jobs] = await Promise.all([
    breakerState(db),
    blockedWhileOpen(db),
    loadConfig(db),
    overviewCardsData(db, now),
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
  return {
    breaker: { ...breaker, new_positions_blocked: blocked },
    ...cards,
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

export async function positionsData(db: Db, now: number = Date.now()) {
  const [open, closed] = await Promise.all([
    openPositionsData(db, now),
    db
      .select({ p: positions, symbol: tokens.symbol, name: tokens.name, leader_label: wallets.label })
      .from(positions)
      .leftJoin(tokens, eq(tokens.mint_address, positions.token_mint))
      .leftJoin(wallets, eq(wallets.address, positions.source_wallet_address))
      .where(eq(positions.status, "closed"))
      .orderBy(desc(positions.closed_at), desc(positions.id))
      .limit(50)
      .all(),
  ]);
  return {
    open,
    closed: closed.map((r) => ({ ...r.p, symbol: r.symbol, name: r.name, leader_label: r.leader_label })),
  };
}
export type PositionsData = Awaited<ReturnType<typeof positionsData>>;
export type ClosedPositionView = PositionsData["closed"][number];

/** The Signals page's filters (query string); unknown values are ignored, never an error. */
export interface SignalFilters {
  wallet?: string;
  side?: "buy" | "sell" | "other";
  outcome?: "copied" | "filtered";
  reason?: string;
  hours?: number;
}

export function signalFiltersOf(q: Record<string, string | undefined>): SignalFilters {
  const f: SignalFilters = {};
  if (q.wallet?.trim()) f.wallet = q.wallet.trim().slice(0, 64);
  if (q.side === "buy" || q.side === "sell" || q.side === "other") f.side = q.side;
  if (q.outcome === "copied" || q.outcome === "filtered") f.outcome = q.outcome;
  if (q.reason?.trim()) f.reason = q.reason.trim().slice(0, 64);
  const hours = Number(q.hours);
  if (Number.isFinite(hours) && hours > 0 && hours <= 24 * 365) f.hours = hours;
  return f;
}

export async function signalsData(db: Db, f: SignalFilters = {}, now: number = Date.now()) {
  const where: SQL[] = [];
  if (f.wallet) where.push(or(eq(signals.wallet_address, f.wallet), eq(wallets.label, f.wallet)) as SQL);
  if (f.side) where.push(eq(signals.signal_type, f.side));
  if (f.outcome === "filtered") where.push(sql`${effectiveSignal.filtered} = 1`);
  if (f.outcome === "copied")
    where.push(sql`${effectiveSignal.filtered} = 0 AND ${effectiveSignal.order_id} IS NOT NULL`);
  if (f.reason) where.push(sql`${effectiveSignal.filter_reason} = ${f.reason}`);
  if (f.hours) where.push(gte(signals.created_at, nowIso(now - f.hours * 3600 * 1000)));
  return db
    .select({
      id: signals.id,
      created_at: signals.created_at,
      block_time: signals.block_time,
      webhook_received_at: signals.webhook_received_at,
      wallet_address: signals.wallet_address,
      wallet_label: wallets.label,
      signal_type: signals.signal_type,
      token_mint: signals.token_mint,
      sol_amount: signals.sol_amount,
      safety_score: signals.safety_score,
      filter_detail: signals.filter_detail,
      ...effectiveSignal,
      processed_at: signals.processed_at,
      filled_at: orders.executed_at,
    })
    .from(signals)
    .leftJoin(wallets, eq(wallets.id, signals.wallet_id))
    .leftJoin(orders, sql`${orders.id} = ${effectiveSignal.order_id}`)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(signals.created_at), desc(signals.id))
    .limit(100)
    .all();
}
export type SignalRow = Awaited<ReturnType<typeof signalsData>>[number];

export async function tokensData(db: Db) {
  return db.select().from(tokens).orderBy(desc(tokens.updated_at), desc(tokens.mint_address)).limit(100).all();
}

export async function bannerData(db: Db) {
  const [breaker, blocked] = await Promise.all([breakerState(db), blockedWhileOpen(db)]);
  return { ...breaker, new_positions_blocked: blocked };
}
export type BreakerBannerData = Awaited<ReturnType<typeof bannerData>>;

/** A chart as dashboard.js draws it: x in epoch seconds, one array of values per series (null = gap). */
export interface ChartSpec {
  kind: "line" | "bars";
  x: number[];
  series: { label: string; values: (number | null)[]; color?: string; points?: boolean }[];
  levels?: { label: string; value: number; color?: string }[];
}

const MODES = ["simulation", "live"] as const;

/**
 * Equity curve (cumulative realized PnL at each close) and daily realized PnL bars, simulation and
 * live apart: from closed positions, the one record of realized outcomes.
 */
export async function pnlCharts(db: Db): Promise<{ equity: ChartSpec; daily: ChartSpec }> {
  const closed = await db
    .select({ mode: positions.mode, closed_at: positions.closed_at, pnl: positions.total_pnl_usd })
    .from(positions)
    .where(isNotNull(positions.closed_at))
    .orderBy(asc(positions.closed_at), asc(positions.id))
    .all();
  const x: number[] = [];
  const cum = { simulation: 0, live: 0 };
  const eq = { simulation: [] as (number | null)[], live: [] as (number | null)[] };
  const days = new Map<string, { simulation: number; live: number }>();
  for (const r of closed) {
    if (!r.closed_at) continue;
    const t = Math.floor(Date.parse(r.closed_at) / 1000);
    if (!Number.isFinite(t)) continue;
    cum[r.mode] += r.pnl;
    x.push(t);
    for (const m of MODES) eq[m].push(cum[m]);
    const day = r.closed_at.slice(0, 10);
    const d = days.get(day) ?? { simulation: 0, live: 0 };
    d[r.mode] += r.pnl;
    days.set(day, d);
  }
  const dayKeys = [...days.keys()];
  return {
    equity: {
      kind: "line",
      x,
      series: [
        { label: "simulation (USD)", values: eq.simulation, color: "--link" },
        { label: "live (USD)", values: eq.live, color: "--pos" },
      ],
    },
    daily: {
      kind: "bars",
      x: dayKeys.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000),
      series: MODES.map((m) => ({
        label: `${m} (USD/day)`,
        values: dayKeys.map((d) => days.get(d)?.[m] ?? 0),
        color: m === "live" ? "--pos" : "--link",
      })),
    },
  };
}

/** Open positions with what the operator reads them by: token symbol/name, leader label, exit levels. */
export async function openPositionsData(db: Db, now: number = Date.now()) {
  const [rows, strategies] = await Promise.all([
    db
      .select({ p: positions, symbol: tokens.symbol, name: tokens.name, leader_label: wallets.label })
      .from(positions)
      .leftJoin(tokens, eq(tokens.mint_address, positions.token_mint))
      .leftJoin(wallets, eq(wallets.address, positions.source_wallet_address))
      .where(ne(positions.status, "closed"))
      .orderBy(desc(positions.opened_at), desc(positions.id))
      .all(),
    db.select().from(exitStrategies).all(),
  ]);
  return rows.map((r) => ({
    ...r.p,
    symbol: r.symbol,
    name: r.name,
    leader_label: r.leader_label,
    levels: levelsOf(r.p, strategies, now),
  }));
}
export type OpenPositionView = Awaited<ReturnType<typeof openPositionsData>>[number];

/** The position's template merged with its override; null when neither parses (shown as "—"). */
function rulesOf(p: PositionRow, strategies: (typeof exitStrategies.$inferSelect)[]): StrategyRules | null {
  const row = strategies.find((s) => s.id === p.exit_strategy_id) ?? strategies.find((s) => s.is_default);
  if (!row) return null;
  try {
    const override = p.strategy_override ? StrategyOverrideSchema.parse(JSON.parse(p.strategy_override)) : null;
    return mergeStrategy(rulesFromRow(row), override);
  } catch {
    return null;
  }
}

function levelsOf(p: PositionRow, strategies: (typeof exitStrategies.$inferSelect)[], now: number): ExitLevels | null {
  const rules = rulesOf(p, strategies);
  if (!rules) return null;
  let hit: number[] = [];
  try {
    const parsed: unknown = JSON.parse(p.scaling_levels_hit);
    if (Array.isArray(parsed)) hit = parsed.filter((n): n is number => typeof n === "number");
  } catch {
    /* an unreadable list: treat as none hit */
  }
  return exitLevels({
    rules,
    entry_price_usd: p.entry_price_usd,
    peak_price_usd: p.peak_price_usd,
    current_price_usd: p.current_price_usd,
    trailing_active: p.trailing_active,
    scaling_levels_hit: hit,
    opened_at_ms: Date.parse(p.opened_at),
    now_ms: now,
  });
}

/** One position: its row, token, leader, levels, fills and the price chart (fills, current price, levels). */
export async function positionDetailData(db: Db, id: string, now: number = Date.now()) {
  const row = await db
    .select({ p: positions, symbol: tokens.symbol, name: tokens.name, leader_label: wallets.label })
    .from(positions)
    .leftJoin(tokens, eq(tokens.mint_address, positions.token_mint))
    .leftJoin(wallets, eq(wallets.address, positions.source_wallet_address))
    .where(eq(positions.id, id))
    .get();
  if (!row) return null;
  const [fills, strategies] = await Promise.all([
    db.select().from(orders).where(eq(orders.position_id, id)).orderBy(asc(orders.requested_at), asc(orders.id)).all(),
    db.select().from(exitStrategies).all(),
  ]);
  const p = row.p;
  const levels = p.status === "closed" ? null : levelsOf(p, strategies, now);
  // Price path: the entry, each filled exit, then the last polled price (no tick history is stored).
  const points: { t: number; entry: number | null; exit: number | null; price: number }[] = [];
  const at = (iso: string | null) => (iso ? Math.floor(Date.parse(iso) / 1000) : Number.NaN);
  const opened = at(p.opened_at);
  if (Number.isFinite(opened))
    points.push({ t: opened, entry: p.entry_price_usd, exit: null, price: p.entry_price_usd });
  for (const o of fills) {
    const t = at(o.executed_at);
    if (o.side !== "sell" || o.status !== "filled" || o.executed_price_usd == null || !Number.isFinite(t)) continue;
    points.push({ t, entry: null, exit: o.executed_price_usd, price: o.executed_price_usd });
  }
  const last = at(p.last_price_at);
  if (p.current_price_usd != null && Number.isFinite(last))
    points.push({ t: last, entry: null, exit: null, price: p.current_price_usd });
  points.sort((a, b) => a.t - b.t);
  // An open position's path runs to now (at its last known price), so the chart has a span to draw
  // the level lines across even before the first exit or poll.
  const lastPoint = points[points.length - 1];
  const nowS = Math.floor(now / 1000);
  if (p.status !== "closed" && lastPoint && lastPoint.t < nowS)
    points.push({ t: nowS, entry: null, exit: null, price: p.current_price_usd ?? lastPoint.price });
  const chartLevels: ChartSpec["levels"] = [];
  if (levels?.stop_loss_usd != null)
    chartLevels.push({ label: "stop-loss", value: levels.stop_loss_usd, color: "--neg" });
  if (levels?.trailing?.stop_usd != null)
    chartLevels.push({ label: "trailing stop", value: levels.trailing.stop_usd, color: "--neg" });
  if (levels?.next_scaling)
    chartLevels.push({
      label: `scale-out ${levels.next_scaling.multiple}×`,
      value: levels.next_scaling.price_usd,
      color: "--pos",
    });
  if (levels?.take_profit)
    chartLevels.push({ label: "take-profit", value: levels.take_profit.price_usd, color: "--pos" });
  const chart: ChartSpec = {
    kind: "line",
    x: points.map((q) => q.t),
    series: [
      { label: "price (USD)", values: points.map((q) => q.price), color: "--link" },
      { label: "entry fill", values: points.map((q) => q.entry), color: "--pos", points: true },
      { label: "exit fill", values: points.map((q) => q.exit), color: "--neg", points: true },
    ],
    levels: chartLevels,
  };
  return {
    position: { ...p, symbol: row.symbol, name: row.name, leader_label: row.leader_label },
    levels,
    fills,
    chart,
    // The catalog template the override is merged over (the strategy override form shows it).
    template: (() => {
      const t = strategies.find((s) => s.id === p.exit_strategy_id) ?? strategies.find((s) => s.is_default);
      return t ? { name: t.name, rules: rulesFromRow(t) } : null;
    })(),
  };
}
export type PositionDetail = NonNullable<Awaited<ReturnType<typeof positionDetailData>>>;
