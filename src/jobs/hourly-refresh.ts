import { ne } from "drizzle-orm";
import { checkBreakerRules } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { positions } from "../db/schema";
import { ensureTokenMetadata } from "../db/token-metadata";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { repushBehind } from "../pipeline/wallet-hot-state";
import { runBackfill } from "./backfill";
import type { Job } from "./run-job";

/**
 * Hourly (DESIGN §1): the watchdog re-arms any open position or pending queue whose alarm was lost
 * (alarms stop being retried after six failures), heals positions whose queued exit the queue no longer
 * holds (a `closing` position without a live order goes back to open) and D1 orders left `pending` after
 * the queue's outcome, token metadata of held mints is filled in batch,
 * and the circuit-breaker rules are re-checked (unrealized losses count toward the drawdown). Then the
 * backfill recovers watched-wallet transactions the webhook never delivered; its failure is reported in the
 * detail and never undoes the watchdog part.
 */
export const runHourlyRefresh: Job = async (env, scheduledTime) => {
  const db = getDb(env.DB);
  const open = await db
    .select({ id: positions.id, token_mint: positions.token_mint, token_decimals: positions.token_decimals })
    .from(positions)
    .where(ne(positions.status, "closed"))
    .all();

  let rearmed = 0;
  let healed = 0;
  let failed = 0;
  // Sequential in small groups: each call is a cheap RPC, and a large book must not burst subrequests.
  for (let i = 0; i < open.length; i += 25) {
    const results = await Promise.allSettled(
      open.slice(i, i + 25).map((p) => env.POSITION_ACTOR.getByName(p.id).ensureScheduled()),
    );
    for (const r of results) {
      if (r.status === "rejected") failed++;
      else {
        if (r.value.rearmed) rearmed++;
        healed += r.value.healed ?? 0;
      }
    }
  }
  const swapQueue = env.SWAP_QUEUE.getByName("default");
  // D1 orders still pending that the queue no longer holds: their outcome is replayed (or, never recorded
  // by the queue, they are dead-lettered), so no dead BUY keeps counting as exposure.
  let orders: { replayed: number; orphaned: number; error?: string } = { replayed: 0, orphaned: 0 };
  try {
    orders = await swapQueue.healOrders();
  } catch (err) {
    // Reported, never blocking the rest of the watchdog; the next hour tries again.
    log.error("watchdog_orders_heal_failed", { error: err });
    orders = { replayed: 0, orphaned: 0, error: String(redact(errorMessage(err))) };
  }
  const queue = await swapQueue.ensureScheduled();

  const looked_up = await ensureTokenMetadata(
    env,
    db,
    open.map((p) => ({ mint: p.token_mint, decimals: p.token_decimals })),
  );
  const breaker = await checkBreakerRules(db, await loadConfig(db));
  if (breaker.tripped) await repushBehind(env); // the actors stop entries before their next decision
  if (failed) log.warn("watchdog_incomplete", { failed });
  let backfill: Record<string, unknown>;
  try {
    const run = await runBackfill(env, { runIndex: Math.floor(scheduledTime / 3_600_000) });
    backfill =
      run.status === "skipped"
        ? { status: "skipped", reason: run.reason }
        : { status: "ok", wallets_active: run.wallets_active, wallets_scanned: run.wallets.length, ...run.totals };
  } catch (err) {
    log.error("backfill_failed", { error: err });
    backfill = { status: "error", error: String(redact(errorMessage(err))) };
  }
  return {
    status: "ok",
    detail: {
      open_positions: open.length,
      positions_rearmed: rearmed,
      positions_healed: healed,
      orders_replayed: orders.replayed,
      orders_orphaned: orders.orphaned,
      ...(orders.error ? { orders_heal_error: orders.error } : {}),
      positions_unreachable: failed,
      queue_rearmed: queue.rearmed,
      queue_pending: queue.pending,
      queue_owed: queue.owed,
      token_metadata_looked_up: looked_up,
      breaker_tripped: breaker.tripped,
      backfill,
    },
  };
};
