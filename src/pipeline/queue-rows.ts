import type { BucketState } from "../domain/token-bucket";
import { LIVE_IN_FLIGHT_SQL } from "./live-orders";
import type { QueueRow } from "./queue-storage";

/** Small reads and writes of the SwapQueue's own SQLite tables (`queue`, `meta`). */

export function queueRowByKey(sql: SqlStorage, key: string): QueueRow | undefined {
  return sql.exec<QueueRow>("SELECT * FROM queue WHERE idempotency_key = ?", key).toArray()[0];
}

export function readMeta(sql: SqlStorage, key: string): string | null {
  return sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
}

export function writeMeta(sql: SqlStorage, key: string, value: string): void {
  sql.exec(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    key,
    value,
  );
}

/** The stored token bucket; null when absent or unreadable (the bucket arithmetic treats it as full, as on first use). */
export function parseBucket(raw: string | null): BucketState | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as BucketState;
  } catch {
    return null;
  }
}

/**
 * The next order to execute: the highest priority, oldest first, among the due pending ones; live orders only
 * while a token is there (`liveOk`), unless the live runner already holds them in flight.
 */
export function nextDueRow(sql: SqlStorage, nowMs: number, liveOk: boolean): QueueRow | undefined {
  return sql
    .exec<QueueRow>(
      `SELECT * FROM queue WHERE state = 'pending' AND not_before_ms <= ?
               AND (? = 1 OR json_extract(request, '$.mode') <> 'live' OR ${LIVE_IN_FLIGHT_SQL})
             ORDER BY priority_rank, seq LIMIT 1`,
      nowMs,
      liveOk ? 1 : 0,
    )
    .toArray()[0];
}

/** The distinct mints of the due simulated orders priced at the market (no trigger price), at most `limit`. */
export function dueSimulatedMints(sql: SqlStorage, nowMs: number, limit: number): string[] {
  return sql
    .exec<{ m: string }>(
      `SELECT DISTINCT json_extract(request, '$.token_mint') AS m FROM queue
         WHERE state = 'pending' AND not_before_ms <= ? AND json_extract(request, '$.mode') <> 'live'
           AND json_extract(request, '$.trigger_price_usd') IS NULL
         LIMIT ?`,
      nowMs,
      limit,
    )
    .toArray()
    .map((r) => r.m);
}
