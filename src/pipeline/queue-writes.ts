import { PRIORITY_RANK, type SwapRequest } from "../domain/swap-order";
import type { QueueRow } from "./queue-storage";

/**
 * The SwapQueue's writes of an order's queue state (its `queue` row, its dead letter) and the small reads the
 * executor makes between them. Each write that records an outcome runs inside the caller's transaction, with
 * the owed steps of that outcome (src/pipeline/queue-owed.ts).
 */

/** A new order's row: pending, or already cancelled (finished at once) when the enqueue refused it. */
export function insertOrder(
  sql: SqlStorage,
  orderId: string,
  req: SwapRequest,
  cancelReason: string | null,
  nowMs: number,
): void {
  sql.exec(
    `INSERT INTO queue (order_id, idempotency_key, priority, priority_rank, request, state, last_error, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    orderId,
    req.idempotency_key,
    req.priority,
    PRIORITY_RANK[req.priority],
    JSON.stringify(req),
    cancelReason ? "cancelled" : "pending",
    cancelReason,
    nowMs,
  );
  if (cancelReason) sql.exec("UPDATE queue SET finished_at_ms = ? WHERE order_id = ?", nowMs, orderId);
}

/** The fill: from here on the order is never executed again. */
export function markFilled(sql: SqlStorage, orderId: string, nowMs: number): void {
  sql.exec("UPDATE queue SET state = 'done', finished_at_ms = ? WHERE order_id = ?", nowMs, orderId);
}

export function markCancelled(sql: SqlStorage, orderId: string, reason: string, nowMs: number): void {
  sql.exec(
    "UPDATE queue SET state = 'cancelled', last_error = ?, finished_at_ms = ? WHERE order_id = ?",
    reason,
    nowMs,
    orderId,
  );
}

/** A failed attempt retried after its backoff. */
export function markRetry(sql: SqlStorage, orderId: string, attempts: number, message: string, notBeforeMs: number) {
  sql.exec(
    "UPDATE queue SET attempts = ?, last_error = ?, not_before_ms = ? WHERE order_id = ?",
    attempts,
    message,
    notBeforeMs,
    orderId,
  );
}

/** An order that waits (no price, book not loaded, intent not in D1…): not a failure, no attempt counted. */
export function markWaiting(sql: SqlStorage, orderId: string, notBeforeMs: number, reason: string): void {
  sql.exec("UPDATE queue SET not_before_ms = ?, last_error = ? WHERE order_id = ?", notBeforeMs, reason, orderId);
}

/** An order's row as it is now (the caller knows it exists). */
export function queueRowById(sql: SqlStorage, orderId: string): QueueRow {
  return sql.exec<QueueRow>("SELECT * FROM queue WHERE order_id = ?", orderId).one();
}

/** Whether a live order's intent is still owed to D1 (it makes no upstream call before). */
export function intentOwed(sql: SqlStorage, orderId: string): boolean {
  return (
    sql.exec("SELECT 1 FROM owed WHERE order_id = ? AND step = 'd1_order' AND state = 'owed'", orderId).toArray()
      .length > 0
  );
}

/** Pending orders and owed steps, for the watchdog (either one needs an alarm). */
export function pendingAndOwed(sql: SqlStorage): { pending: number; owed: number } {
  const pending = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM queue WHERE state = 'pending'").one().n;
  const owed = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM owed WHERE state = 'owed'").one().n;
  return { pending, owed };
}

/** Removes a dead letter's record; false when there was none. */
export function deleteDeadLetter(sql: SqlStorage, orderId: string): boolean {
  return sql.exec("DELETE FROM dead_letters WHERE order_id = ?", orderId).rowsWritten > 0;
}
