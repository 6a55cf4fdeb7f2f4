import { desc, eq, sql } from "drizzle-orm";
import type { BreakerState } from "../db/circuit-breaker";
import { type Db, getDb } from "../db/client";
import { toConfig } from "../db/config-store";
import {
  circuitBreakerEvents,
  config,
  type ExitStrategyRow,
  exitStrategies,
  hotState,
  type WalletRow,
  wallets,
} from "../db/schema";
import type { Config } from "../domain/config";
import { log } from "../lib/logger";
import { forgetTargets, type HotSnapshot, recordAcks } from "./hot-state";
import { pushQueueHotState, repushQueueIfBehind } from "./queue-hot-state";

/** What a WalletActor decides from (src/pipeline/hot-state.ts): no D1 read between the ack and the enqueue. */
export interface WalletHotState {
  config: Config;
  breaker: BreakerState;
  /** The watched wallet's row; null once it was deleted (nothing more is copied from it). */
  wallet: WalletRow | null;
  /** Its exit strategy, or the default one when it names none. */
  strategy: ExitStrategyRow | null;
}

export const walletTarget = (address: string) => `wallet:${address}`;

/** Everything any WalletActor snapshot is built from, in one D1 batch (one consistent version). */
async function readAll(db: Db) {
  const [version, cfg, breaker, ws, strategies] = await db.batch([
    db.select().from(hotState).where(eq(hotState.id, 1)),
    db.select().from(config).where(eq(config.id, 1)),
    db.select().from(circuitBreakerEvents).orderBy(desc(circuitBreakerEvents.id)).limit(1),
    db.select().from(wallets),
    db.select().from(exitStrategies),
  ]);
  const cfgRow = cfg[0];
  if (!cfgRow) throw new Error("config row missing: apply the D1 migrations");
  const last = breaker[0];
  const breakerState: BreakerState = last
    ? {
        open: last.event_type === "trip",
        since: last.created_at,
        trigger: last.trigger,
        reason: last.reason,
        last_event_id: last.id,
      }
    : { open: false, since: null, trigger: null, reason: null, last_event_id: null };
  const byId = new Map(strategies.map((s) => [s.id, s]));
  const fallback = strategies.find((s) => s.is_default) ?? null;
  const snapshotOf = (address: string): HotSnapshot<WalletHotState> => {
    const wallet = ws.find((w) => w.address === address) ?? null;
    const strategy = wallet?.exit_strategy_id != null ? (byId.get(wallet.exit_strategy_id) ?? null) : fallback;
    return {
      version: version[0]?.version ?? 0,
      data: { config: toConfig(cfgRow), breaker: breakerState, wallet, strategy },
    };
  };
  return { snapshotOf, addresses: ws.map((w) => w.address) };
}

/** One WalletActor's snapshot, read from D1 (an actor that has none yet). */
export async function loadWalletHotState(d1: D1Database, address: string): Promise<HotSnapshot<WalletHotState>> {
  return (await readAll(getDb(d1))).snapshotOf(address);
}

export interface PushResult {
  version: number | null;
  pushed: number;
  failed: string[];
}

/**
 * Pushes fresh snapshots to the WalletActors that cache them: every watched wallet's (config, breaker and
 * strategy changes reach all of them), or only `addresses` (a wallet's own change; a deleted wallet's address,
 * which is told it is gone). Never throws: the D1 write it follows is done, and what fails here is owed —
 * its target's ack stays behind and the minute cron (`repushBehind`) tries again.
 */
export async function pushHotState(
  env: Pick<Env, "DB" | "WALLET_ACTOR"> & Partial<Pick<Env, "SWAP_QUEUE">>,
  opts: { addresses?: string[] } = {},
): Promise<PushResult> {
  const db = getDb(env.DB);
  // The SwapQueue (and through it the PositionActors) caches config and breaker too (queue-hot-state.ts).
  const queue = env.SWAP_QUEUE ? await pushQueueHotState({ DB: env.DB, SWAP_QUEUE: env.SWAP_QUEUE }) : null;
  if (queue?.failed.length) log.warn("hot_state_push_owed", { target: "queue", failed: queue.failed });
  try {
    const all = await readAll(db);
    const targets = [...new Set(opts.addresses ?? all.addresses)];
    const acks: { target: string; version: number }[] = [];
    const gone: string[] = [];
    const failed: string[] = [];
    let version: number | null = null;
    await Promise.all(
      targets.map(async (address) => {
        const snap = all.snapshotOf(address);
        version = snap.version;
        try {
          const res = await env.WALLET_ACTOR.getByName(address).applyHotState(snap);
          if (snap.data.wallet === null) gone.push(walletTarget(address));
          else acks.push({ target: walletTarget(address), version: res.version });
        } catch (err) {
          failed.push(address);
          log.warn("hot_state_push_failed", { address, version: snap.version, error: String(err) });
        }
      }),
    );
    await recordAcks(db, acks);
    await forgetTargets(db, gone);
    return { version, pushed: acks.length + gone.length, failed };
  } catch (err) {
    // D1 itself failed (the snapshot or the acks): every target stays behind and is re-pushed by the cron.
    log.warn("hot_state_push_failed", { error: String(err) });
    return { version: null, pushed: 0, failed: opts.addresses ?? ["*"] };
  }
}

/**
 * The minute cron's repair: WalletActors whose confirmed version is behind D1's (a failed push, a writer that
 * died before pushing, a trigger-bumped write made outside the API), including deleted wallets whose actor
 * was never told, get a fresh push. Never throws.
 */
export async function repushBehind(env: Pick<Env, "DB" | "WALLET_ACTOR" | "SWAP_QUEUE">): Promise<PushResult> {
  const db = getDb(env.DB);
  // The SwapQueue's own ack (queue:default) is repaired beside the wallets' (src/pipeline/queue-hot-state.ts).
  const queue = await repushQueueIfBehind(env);
  let behind: { address: string }[];
  try {
    behind = await targetsBehind(db);
  } catch (err) {
    log.warn("hot_state_push_failed", { error: String(err) });
    return { version: null, pushed: queue.pushed, failed: ["*", ...queue.failed] };
  }
  if (behind.length === 0) return { version: queue.version, pushed: queue.pushed, failed: queue.failed };
  const wallets = await pushHotState(
    { DB: env.DB, WALLET_ACTOR: env.WALLET_ACTOR },
    {
      addresses: behind.map((b) => b.address),
    },
  );
  return { ...wallets, pushed: wallets.pushed + queue.pushed, failed: [...wallets.failed, ...queue.failed] };
}

/** WalletActors whose confirmed version is behind D1's, deleted wallets' included. */
async function targetsBehind(db: Db) {
  return db.all<{ address: string }>(
    sql.raw(`
    SELECT address FROM (
      SELECT w.address AS address, a.version AS acked FROM wallets w
        LEFT JOIN hot_state_acks a ON a.target = 'wallet:' || w.address
      UNION
      SELECT substr(a.target, 8), a.version FROM hot_state_acks a
        WHERE a.target LIKE 'wallet:%' AND substr(a.target, 8) NOT IN (SELECT address FROM wallets)
    ) WHERE acked IS NULL OR acked < (SELECT version FROM hot_state WHERE id = 1)`),
  );
}
