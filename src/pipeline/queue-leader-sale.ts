import { entryBeforeSale, isLeaderSaleNotice, leaderSaleKey, saleActionFor, saleMoment } from "../domain/leader-sale";
import { positionIdFor } from "../domain/position";
import type { LeaderSaleNotice, LeaderSaleResult, SwapRequest } from "../domain/swap-order";
import { log } from "../lib/logger";
import { cancelledBySale, markLeaderExit, saleCandidateRows } from "./queue-leader-exits";
import { cancelledEntry } from "./queue-outcomes";
import { type QueueRow, queueRowById } from "./queue-storage";

/** What a leader sale needs of the SwapQueue beyond its SQLite. */
export interface LeaderSaleDeps {
  sql: SqlStorage;
  /** Whether the order is executing now or is a live order the executor started (read at each check). */
  started: (orderId: string) => boolean;
  /** Cancels a pending order with its owed steps (the queue's own cancel). */
  cancel: (row: QueueRow, req: SwapRequest, reason: string) => Promise<void>;
}

/**
 * The leader sold the mint (SwapQueue.leaderSold): its entries made before the sale and not executed yet are
 * cancelled (`leader_exited`); those executing or filled are returned in flight. Every mark is written before
 * the first await, so an execution that starts meanwhile refuses to fill; a filled order is never cancelled.
 */
export async function applyLeaderSale(d: LeaderSaleDeps, notice: LeaderSaleNotice): Promise<LeaderSaleResult> {
  if (!isLeaderSaleNotice(notice)) throw new TypeError("invalid leader sale notice");
  const sql = d.sql;
  const sale = saleMoment(notice);
  const rows = saleCandidateRows(sql, notice.leader_address, notice.token_mint, Date.now()).filter((r) =>
    entryBeforeSale(JSON.parse(r.request) as SwapRequest, sale),
  );
  const result: LeaderSaleResult = { cancelled: [], in_flight: [] };
  // The sale's key in leader_exits.signal_id (SQLite keeps the text as text).
  const saleKey = leaderSaleKey(notice);
  const candidates: QueueRow[] = [];
  for (const r of rows) {
    if (r.state === "done") {
      result.in_flight.push({ order_id: r.order_id, position_id: positionIdFor(r.order_id) });
      continue;
    }
    // Marked even while executing: an execution not yet past its fill check then cancels instead of buying.
    markLeaderExit(sql, r.order_id, saleKey, Date.now());
    candidates.push(r);
  }
  for (const r of candidates) {
    const now = queueRowById(sql, r.order_id);
    const action = saleActionFor(now, d.started(r.order_id));
    if (action === "in_flight") {
      result.in_flight.push({ order_id: r.order_id, position_id: positionIdFor(r.order_id) });
    } else if (action === "cancel") {
      const req = JSON.parse(now.request) as SwapRequest;
      await d.cancel(now, req, "leader_exited");
      result.cancelled.push(cancelledEntry(r.order_id, req));
    } else if (action === "already_cancelled") {
      result.cancelled.push(cancelledEntry(r.order_id, JSON.parse(now.request) as SwapRequest));
    }
  }
  // A retried notice (its caller stopped before recording the answer) reports what it cancelled the first time.
  if (saleKey != null)
    for (const r of cancelledBySale(sql, saleKey))
      if (!result.cancelled.some((c) => c.order_id === r.order_id))
        result.cancelled.push(cancelledEntry(r.order_id, JSON.parse(r.request) as SwapRequest));
  if (rows.length > 0 || result.cancelled.length > 0) log.info("leader_sale_applied", { ...notice, ...result });
  return result;
}
