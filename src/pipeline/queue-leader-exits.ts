import type { QueueRow } from "./queue-storage";

/**
 * The queue's SQLite side of a leader sale (src/domain/leader-sale.ts decides): the buys of the mint it may
 * concern, the `leader_exits` marks an execution checks right before filling, and what a sale cancelled.
 */

/** Pending buys, and done ones of the last hour (older fills are open positions in D1, which the caller reads). */
export function saleCandidateRows(sql: SqlStorage, leader: string, mint: string, nowMs: number): QueueRow[] {
  return sql
    .exec<QueueRow>(
      `SELECT * FROM queue WHERE (state = 'pending' OR (state = 'done' AND finished_at_ms > ?))
           AND json_extract(request, '$.side') = 'buy' AND json_extract(request, '$.token_mint') = ?
           AND json_extract(request, '$.entry.source_wallet_address') = ?
         ORDER BY seq`,
      nowMs - 3_600_000,
      mint,
      leader,
    )
    .toArray();
}

/** Marks an order as its leader's exit; the first mark wins (a retried notice keeps it). */
export function markLeaderExit(sql: SqlStorage, orderId: string, saleKey: number | string | null, nowMs: number): void {
  sql.exec(
    "INSERT INTO leader_exits (order_id, signal_id, at_ms) VALUES (?, ?, ?) ON CONFLICT(order_id) DO NOTHING",
    orderId,
    saleKey,
    nowMs,
  );
}

export function isLeaderExited(sql: SqlStorage, orderId: string): boolean {
  return sql.exec("SELECT 1 FROM leader_exits WHERE order_id = ?", orderId).toArray().length > 0;
}

/** The orders a sale (by its key) already cancelled: what a retried notice reports again. */
export function cancelledBySale(sql: SqlStorage, saleKey: number | string): { order_id: string; request: string }[] {
  return sql
    .exec<{ order_id: string; request: string }>(
      `SELECT q.order_id, q.request FROM leader_exits l JOIN queue q ON q.order_id = l.order_id
           WHERE l.signal_id = ? AND q.state = 'cancelled' AND q.last_error = 'leader_exited'`,
      saleKey,
    )
    .toArray();
}
