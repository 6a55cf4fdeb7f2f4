import { desc, eq, sql } from "drizzle-orm";
import type { BreakerState } from "../db/circuit-breaker";
import { type Db, getDb } from "../db/client";
import { toConfig } from "../db/config-store";
import { circuitBreakerEvents, config, exitStrategies, hotState } from "../db/schema";
import type { Config } from "../domain/config";
import { rulesFromRow, type StrategyRules } from "../domain/exit-strategy";
import { log } from "../lib/logger";
import { type HotSnapshot, recordAcks } from "./hot-state";

/**
 * The SwapQueue's hot state (src/pipeline/hot-state.ts): what its decisions read instead of D1 — config,
 * breaker, and the exit-strategy templates a fill hands to the position it opens. PositionActors take their
 * config from the queue (`PositionHotState`, by version: a position asks with the version it holds and gets
 * the queue's only when newer), so one push per change reaches every open position, however many there are.
 */
export interface QueueHotState {
  config: Config;
  breaker: BreakerState;
  strategies: { id: number; is_default: boolean; rules: StrategyRules }[];
}

/** What a PositionActor caches: the config, versioned like the queue's snapshot it comes from. */
export interface PositionHotState {
  config: Config;
}

/** The `hot_state_acks` target of the SwapQueue singleton. */
export const QUEUE_TARGET = "queue:default";

/** The queue's snapshot, read from D1 in one batch (one consistent version). */
export async function loadQueueHotState(d1: D1Database): Promise<HotSnapshot<QueueHotState>> {
  const db = getDb(d1);
  const [version, cfg, breaker, strategies] = await db.batch([
    db.select().from(hotState).where(eq(hotState.id, 1)),
    db.select().from(config).where(eq(config.id, 1)),
    db.select().from(circuitBreakerEvents).orderBy(desc(circuitBreakerEvents.id)).limit(1),
    db.select().from(exitStrategies),
  ]);
  const cfgRow = cfg[0];
  if (!cfgRow) throw new Error("config row missing: apply the D1 migrations");
  const last = breaker[0];
  return {
    version: version[0]?.version ?? 0,
    data: {
      config: toConfig(cfgRow),
      breaker: last
        ? {
            open: last.event_type === "trip",
            since: last.created_at,
            trigger: last.trigger,
            reason: last.reason,
            last_event_id: last.id,
          }
        : { open: false, since: null, trigger: null, reason: null, last_event_id: null },
      strategies: strategies.map((s) => ({ id: s.id, is_default: s.is_default, rules: rulesFromRow(s) })),
    },
  };
}

/** The template a position uses: its strategy, else (none named, or deleted since) the catalog default. */
export function templateFor(
  hot: QueueHotState,
  strategyId: number | null,
): { id: number; rules: StrategyRules } | null {
  const named = strategyId != null ? hot.strategies.find((s) => s.id === strategyId) : undefined;
  const t = named ?? hot.strategies.find((s) => s.is_default);
  return t ? { id: t.id, rules: t.rules } : null;
}

export interface QueuePushResult {
  version: number | null;
  pushed: number;
  failed: string[];
}

/**
 * Pushes a fresh snapshot to the SwapQueue and records its ack. Never throws: a failed push leaves the
 * queue's ack behind D1's version and the minute cron (`repushQueueIfBehind`) repeats it.
 */
export async function pushQueueHotState(env: Pick<Env, "DB" | "SWAP_QUEUE">): Promise<QueuePushResult> {
  try {
    const snap = await loadQueueHotState(env.DB);
    const res = await env.SWAP_QUEUE.getByName("default").applyHotState(snap);
    await recordAcks(getDb(env.DB), [{ target: QUEUE_TARGET, version: res.version }]);
    return { version: snap.version, pushed: 1, failed: [] };
  } catch (err) {
    log.warn("hot_state_push_failed", { target: QUEUE_TARGET, error: String(err) });
    return { version: null, pushed: 0, failed: [QUEUE_TARGET] };
  }
}

/** The repair: the queue is pushed only when its confirmed version is behind D1's (or never confirmed). */
export async function repushQueueIfBehind(env: Pick<Env, "DB" | "SWAP_QUEUE">): Promise<QueuePushResult> {
  let behind: boolean;
  try {
    behind = await queueBehind(getDb(env.DB));
  } catch (err) {
    log.warn("hot_state_push_failed", { target: QUEUE_TARGET, error: String(err) });
    return { version: null, pushed: 0, failed: [QUEUE_TARGET] };
  }
  if (!behind) return { version: null, pushed: 0, failed: [] };
  return pushQueueHotState(env);
}

async function queueBehind(db: Db): Promise<boolean> {
  const row = await db.get<{ behind: number }>(sql`
    SELECT COALESCE((SELECT version FROM hot_state_acks WHERE target = ${QUEUE_TARGET}), -1)
      < COALESCE((SELECT version FROM hot_state WHERE id = 1), 0) AS behind`);
  return Boolean(row?.behind);
}
