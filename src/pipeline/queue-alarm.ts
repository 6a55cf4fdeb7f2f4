import type { Config } from "../domain/config";
import { nextRunAt } from "../domain/swap-schedule";
import type { SwapBucket } from "./queue-bucket";
import { nextDueRow, nextDueTimes, type QueueRow, readMeta } from "./queue-storage";

/**
 * When the SwapQueue's one alarm is due for its earliest work: an order never before the spacing (or, a live
 * one, its token) allows, an owed step when due; null when nothing is. `running`: the owed steps running now.
 * The config is read only when an order is due; null (D1 unreachable, nothing cached) retries soon, no
 * spacing, one token a second.
 */
export async function nextAlarmAt(
  sql: SqlStorage,
  running: ReadonlySet<string>,
  bucket: SwapBucket,
  config: () => Promise<Config | null>,
): Promise<number | null> {
  const { nextSim, nextLive, nextOwed } = nextDueTimes(sql, running);
  if (nextSim == null && nextLive == null && nextOwed == null) return null;
  const now = Date.now();
  const cfg = nextSim != null || nextLive != null ? await config() : null;
  return nextRunAt({
    now,
    nextSim,
    nextLive,
    nextOwed,
    tokenReadyAt: bucket.readyAt(cfg, now),
    lastExecutionMs: Number(readMeta(sql, "last_execution_ms") ?? 0),
    spacingMs: cfg?.swap_min_spacing_ms ?? 0,
  });
}

/**
 * The order to execute now, if any: none before the minimum spacing since the last execution; live orders
 * only while the bucket holds a token (simulated ones, and owed work, pass them meanwhile).
 */
export function nextExecutable(sql: SqlStorage, bucket: SwapBucket, cfg: Config, nowMs: number): QueueRow | undefined {
  const last = Number(readMeta(sql, "last_execution_ms") ?? 0);
  if (nowMs < last + cfg.swap_min_spacing_ms) return undefined;
  const liveOk = bucket.readyAt(cfg, nowMs) <= nowMs;
  return nextDueRow(sql, nowMs, liveOk);
}
