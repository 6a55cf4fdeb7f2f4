import { and, count, eq, inArray, isNotNull, lt, max, min, ne, sql } from "drizzle-orm";
import { breakerState } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { heartbeats, orders, positions, signals, upstreamHealth, walletInfo, wallets } from "../db/schema";
import type { Config } from "../domain/config";
import { type ComponentVerdict, heartbeatVerdict, type Verdict, worst } from "../domain/heartbeat";
import { LIVE_EXECUTION_WIRED, LIVE_NOT_WIRED_REASON } from "../domain/live-guard";
import { RATE_METRICS, type UsageReading, usageReadings, windowKey } from "../domain/rate-usage";
import { upstreamVerdict } from "../domain/upstream-health";
import { errorMessage } from "../lib/error-message";
import { nowIso } from "../lib/time";
import { tradingWalletKey } from "../lib/trading-wallet";
import { d1WriterOf } from "../pipeline/shared-d1-write";
import { CRON_JOBS, OPS_JOBS } from "../scheduled";
import { UPSTREAM_SERVICES } from "../upstream/http";
import { lastReconciliation } from "./reconciliation-summary";

/**
 * GET /api/v1/status (issue 12): one verdict per component, computed from the heartbeats and the read
 * model (and the SwapQueue's own status). Reads only; nothing here changes state.
 */
export interface ComponentStatus extends ComponentVerdict {
  name: string;
  detail: Record<string, unknown>;
}

/** Alarm loops and how often each one runs when it has work (the loop "period" of its verdict). */
export const ALARM_LOOPS = { swap_queue: 60, position_actor: 60, wallet_actor: 60 } as const;

/** A sell that is still queued or executing after this long is a stuck exit. */
export const STUCK_EXIT_MS = 10 * 60_000;
/** A position priced by a fallback or stale price for longer than this is flagged (issue 12). */
export const STALE_PRICE_MS = 5 * 60_000;

export async function collectStatus(env: Env, now = Date.now()) {
  const db = getDb(env.DB);
  const cfg = await loadConfig(db);
  const beats = new Map((await db.select().from(heartbeats).all()).map((h) => [h.component, h]));
  const out: ComponentStatus[] = [];

  const crons = [...Object.entries(CRON_JOBS), ...OPS_JOBS.map((o) => [o.cron, o] as const)];
  for (const [cron, job] of crons) {
    const hb = beats.get(job.name) ?? null;
    out.push({
      name: `cron:${job.name}`,
      ...heartbeatVerdict(hb, job.periodSeconds, now),
      detail: { cron, period_seconds: job.periodSeconds, ...heartbeatDetail(hb) },
    });
  }

  // --- positions
  const open = await db
    .select({
      id: positions.id,
      status: positions.status,
      price_source: positions.price_source,
      last_price_at: positions.last_price_at,
      next_poll_at: positions.next_poll_at,
      opened_at: positions.opened_at,
    })
    .from(positions)
    .where(ne(positions.status, "closed"))
    .all();
  // An armed alarm runs at next_poll_at; one still in the past after two stable intervals was lost.
  const alarmGraceMs = Math.max(120_000, 2 * cfg.poll_stable_seconds * 1000);
  const unarmed = open.filter((p) => !p.next_poll_at || Date.parse(p.next_poll_at) < now - alarmGraceMs);
  const stalePriced = open.filter((p) => priceProblem(p, now) !== null);
  const stuckSells = await db
    .select({ position_id: orders.position_id, id: orders.id, requested_at: orders.requested_at })
    .from(orders)
    .where(
      and(
        eq(orders.side, "sell"),
        inArray(orders.status, ["pending", "executing", "submitted"]),
        lt(orders.requested_at, nowIso(now - STUCK_EXIT_MS)),
      ),
    )
    .all();
  const positionLoop = heartbeatVerdict(
    beats.get("position_actor") ?? null,
    ALARM_LOOPS.position_actor,
    now,
    open.length > 0,
  );
  const positionProblems: string[] = [];
  if (unarmed.length) positionProblems.push(`${unarmed.length} open without an armed price poll`);
  if (stuckSells.length)
    positionProblems.push(`${stuckSells.length} exit order(s) stuck over ${STUCK_EXIT_MS / 60_000} min`);
  if (stalePriced.length) positionProblems.push(`${stalePriced.length} priced by a fallback or stale price`);
  const positionsVerdict = worst(
    positionLoop.verdict,
    unarmed.length || stuckSells.length ? "failing" : "ok",
    stalePriced.length ? "late" : "ok",
  );
  out.push({
    name: "positions",
    verdict: positionsVerdict,
    reason: positionProblems.length ? positionProblems.join("; ") : positionLoop.reason,
    detail: {
      open: open.length,
      without_armed_alarm: unarmed.map((p) => p.id),
      stale_or_fallback_price: stalePriced.map((p) => ({ id: p.id, problem: priceProblem(p, now) })),
      stuck_exits: stuckSells,
      alarm_loop: { ...positionLoop, ...heartbeatDetail(beats.get("position_actor") ?? null) },
    },
  });

  // --- swap queue (its own storage is the truth for depth and dead letters)
  out.push(await swapQueueStatus(env, beats.get("swap_queue") ?? null, now));

  out.push(await readModelWriterStatus(env));

  // --- wallet actors' inbox loop
  const walletLoopHb = beats.get("wallet_actor") ?? null;
  out.push({
    name: "alarm:wallet_actor",
    ...heartbeatVerdict(walletLoopHb, ALARM_LOOPS.wallet_actor, now, false),
    detail: heartbeatDetail(walletLoopHb),
  });

  // --- webhook
  const watched = (await db.select({ n: count() }).from(wallets).where(eq(wallets.is_active, true)).get())?.n ?? 0;
  const last = await db
    .select({ at: max(signals.webhook_received_at) })
    .from(signals)
    .get();
  const lastHour =
    (
      await db
        .select({ n: count() })
        .from(signals)
        .where(sql`${signals.webhook_received_at} >= ${nowIso(now - 3_600_000)}`)
        .get()
    )?.n ?? 0;
  out.push({
    name: "webhook",
    ...webhookVerdict({
      watched,
      lastDeliveryAt: last?.at ?? null,
      silenceMinutes: cfg.webhook_silence_alert_minutes,
      syncStatus: cfg.helius_last_sync_status,
      syncError: cfg.helius_last_sync_error,
      now,
    }),
    detail: {
      watched_wallets: watched,
      last_delivery_at: last?.at ?? null,
      transactions_last_hour: lastHour,
      silence_alert_minutes: cfg.webhook_silence_alert_minutes,
      sync_status: cfg.helius_last_sync_status,
      last_sync_at: cfg.helius_last_sync_at,
      last_sync_error: cfg.helius_last_sync_error,
      wallets_sync_error:
        (
          await db
            .select({ n: count() })
            .from(wallets)
            .where(and(eq(wallets.is_active, true), eq(wallets.helius_sync_status, "error")))
            .get()
        )?.n ?? 0,
    },
  });

  // --- upstreams
  const health = new Map((await db.select().from(upstreamHealth).all()).map((u) => [u.service, u]));
  const usage = await rateUsageReadings(env.DB, cfg, now);
  for (const service of UPSTREAM_SERVICES) {
    const row = health.get(service) ?? null;
    const recent = row ? (JSON.parse(row.recent) as number[]) : [];
    const limits = usage.filter((u) => RATE_SERVICE[u.metric] === service);
    const high = limits.filter((u) => u.over_alert_threshold);
    const base = upstreamVerdict({ recent, openUntil: row?.open_until ?? null, now });
    const verdict: ComponentVerdict = high.length
      ? {
          verdict: worst(base.verdict, "late"),
          reason: `${base.verdict === "ok" ? "" : `${base.reason}; `}rate-limit usage ${high
            .map((u) => `${u.metric} ${u.used}/${u.limit} (${u.percent} %) per ${u.window}`)
            .join(", ")}`,
        }
      : base;
    out.push({
      name: `upstream:${service}`,
      ...verdict,
      detail: {
        rate_limits: limits,
        last_success_at: row?.last_success_at ?? null,
        last_failure_at: row?.last_failure_at ?? null,
        last_error: row?.last_error ?? null,
        recent_calls: recent.length,
        error_rate: recent.length ? recent.filter((r) => r === 0).length / recent.length : null,
        breaker_open_until: row?.open_until ?? null,
      },
    });
  }

  // --- circuit breaker
  const breaker = await breakerState(db);
  out.push({
    name: "circuit_breaker",
    verdict: breaker.open ? "failing" : "ok",
    reason: breaker.open
      ? `open since ${breaker.since} (${breaker.trigger}: ${breaker.reason ?? "no reason"}); new entries blocked`
      : "closed; entries allowed",
    detail: { ...breaker },
  });

  // --- trading wallet
  out.push(await tradingWalletStatus(env, db, cfg.live_trading_enabled));

  // The last reconciliation run, summarised (its findings are alerts already: it adds no verdict).
  const reconciliation = await lastReconciliation(db);

  return { verdict: worst(...out.map((c) => c.verdict)), generated_at: nowIso(now), components: out, reconciliation };
}

const RATE_SERVICE = Object.fromEntries(
  Object.entries(RATE_METRICS).map(([metric, def]) => [metric, def.service]),
) as Record<string, string>;

/** Usage per metric against its configured plan limit, from the counts flushed to `rate_usage`. */
export async function rateUsageReadings(d1: D1Database, limits: Config, now: number): Promise<UsageReading[]> {
  const { results } = await d1
    .prepare("SELECT metric, window, count FROM rate_usage WHERE window >= ?1 OR window = ?2 OR window = ?3")
    .bind(windowKey("minute", now - 5 * 60_000), windowKey("day", now), windowKey("month", now))
    .all<{ metric: string; window: string; count: number }>();
  return usageReadings(results, limits, now);
}

function heartbeatDetail(hb: typeof heartbeats.$inferSelect | null) {
  if (!hb) return { last_started_at: null, last_finished_at: null, last_duration_ms: null, last_outcome: null };
  return {
    last_started_at: hb.last_started_at,
    last_finished_at: hb.last_finished_at,
    last_duration_ms: hb.last_duration_ms,
    last_outcome: hb.last_outcome,
    last_ok_at: hb.last_ok_at,
    last_error: hb.last_error,
    consecutive_failures: hb.consecutive_failures,
    runs: hb.runs,
  };
}

/** Why a position's price is not trustworthy right now, or null. */
export function priceProblem(
  p: { price_source: string | null; last_price_at: string | null; opened_at: string },
  now: number,
): string | null {
  const since = p.last_price_at ?? p.opened_at;
  if (now - Date.parse(since) > STALE_PRICE_MS) return `no fresh price since ${since}`;
  if (p.price_source && p.price_source !== "jupiter") return `priced by ${p.price_source}`;
  return null;
}

export function webhookVerdict(i: {
  watched: number;
  lastDeliveryAt: string | null;
  silenceMinutes: number;
  syncStatus: string | null;
  syncError: string | null;
  now: number;
}): ComponentVerdict {
  if (i.syncStatus === "error") return { verdict: "failing", reason: `Helius sync failing: ${i.syncError ?? "error"}` };
  if (i.watched > 0 && i.lastDeliveryAt && i.now - Date.parse(i.lastDeliveryAt) > i.silenceMinutes * 60_000)
    return {
      verdict: "late",
      reason: `no delivery since ${i.lastDeliveryAt} while ${i.watched} wallet(s) are watched`,
    };
  if (i.watched === 0) return { verdict: "ok", reason: "no wallet watched" };
  return { verdict: "ok", reason: i.lastDeliveryAt ? `last delivery ${i.lastDeliveryAt}` : "no delivery yet" };
}

async function swapQueueStatus(
  env: Env,
  hb: typeof heartbeats.$inferSelect | null,
  now: number,
): Promise<ComponentStatus> {
  let q: Awaited<ReturnType<DurableObjectStub<import("../../durable-objects/swap-queue").SwapQueue>["status"]>>;
  try {
    q = await env.SWAP_QUEUE.getByName("default").status();
  } catch (err) {
    return {
      name: "swap_queue",
      verdict: "failing",
      reason: `SwapQueue unreachable: ${errorMessage(err)}`,
      detail: heartbeatDetail(hb),
    };
  }
  const db = getDb(env.DB);
  const oldest = await db
    .select({ at: min(orders.requested_at) })
    .from(orders)
    .where(eq(orders.status, "pending"))
    .get();
  const loop = heartbeatVerdict(hb, ALARM_LOOPS.swap_queue, now, q.pending > 0);
  const problems: string[] = [];
  let verdict: Verdict = loop.verdict;
  if (q.pending > 0 && !q.next_run_at) {
    problems.push(`${q.pending} pending with no alarm armed`);
    verdict = "failing";
  }
  if (q.dead_letters.length) {
    problems.push(`${q.dead_letters.length} dead letter(s), latest ${q.dead_letters[0]?.died_at}`);
    verdict = worst(verdict, "failing");
  }
  return {
    name: "swap_queue",
    verdict,
    reason: problems.length ? problems.join("; ") : loop.reason,
    detail: {
      depth: q.depth,
      pending: q.pending,
      oldest_waiting_at: oldest?.at ?? null,
      next_run_at: q.next_run_at,
      last_execution_at: q.last_execution_at,
      dead_letters: q.dead_letters.length,
      alarm_loop: heartbeatDetail(hb),
    },
  };
}

/** Units waiting behind the batch in flight past which the shared writer is falling behind. */
const WRITER_BACKLOG_LATE = 500;

/** The shared D1 writer of the read model (durable-objects/d1-writer.ts): reachable, keeping up, what it wrote. */
async function readModelWriterStatus(env: Env): Promise<ComponentStatus> {
  try {
    const s = await d1WriterOf(env).stats();
    const late = s.waiting > WRITER_BACKLOG_LATE;
    return {
      name: "read_model_writer",
      verdict: late ? "late" : "ok",
      reason: late
        ? `${s.waiting} write(s) waiting for D1`
        : `${s.statements} statement(s) in ${s.batches} batch(es) since it started`,
      detail: { ...s },
    };
  } catch (err) {
    return {
      name: "read_model_writer",
      verdict: "failing",
      reason: `D1Writer unreachable: ${errorMessage(err)}`,
      detail: {},
    };
  }
}

async function tradingWalletStatus(
  env: Env,
  db: ReturnType<typeof getDb>,
  switchOn: boolean,
): Promise<ComponentStatus> {
  const key = await tradingWalletKey(env.WALLET_PRIVATE_KEY);
  const live = (await db.select({ n: count() }).from(wallets).where(eq(wallets.mode, "live")).get())?.n ?? 0;
  // What the switch means in this build: until the executor is wired, no live order runs whatever it says.
  const liveSwitch = switchOn ? (LIVE_EXECUTION_WIRED ? "on" : "on (not wired)") : "off";
  const base = {
    key_state: key.state,
    live_switch: liveSwitch,
    live_execution_wired: LIVE_EXECUTION_WIRED,
    live_wallets: live,
  };
  if (!key.configured)
    return {
      name: "trading_wallet",
      verdict: live > 0 ? "failing" : "ok",
      reason: "missing: WALLET_PRIVATE_KEY is not configured; live refused, simulation only",
      detail: { address: null, sol_balance: null, ...base },
    };
  if (!key.valid)
    return {
      name: "trading_wallet",
      verdict: "failing",
      reason: `malformed: ${key.problem}; every live path refuses`,
      detail: { address: null, sol_balance: null, ...base },
    };
  // Its balance is known when the portfolio has it (cache-first; a status read never touches the chain).
  const info = await db
    .select({ sol: walletInfo.last_balance_sol, at: walletInfo.balance_refreshed_at })
    .from(walletInfo)
    .where(and(eq(walletInfo.address, key.address), isNotNull(walletInfo.balance_refreshed_at)))
    .get();
  return {
    name: "trading_wallet",
    verdict: "ok",
    reason: LIVE_EXECUTION_WIRED
      ? `ok: key valid; live trading ${switchOn ? "on" : "off"}`
      : `ok: key valid; ${LIVE_NOT_WIRED_REASON} (live off)`,
    detail: {
      address: key.address,
      sol_balance: info?.sol ?? null,
      sol_balance_at: info?.at ?? null,
      ...base,
    },
  };
}
