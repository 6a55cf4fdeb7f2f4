import type { BucketState } from "../domain/token-bucket";
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
