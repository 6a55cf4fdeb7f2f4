import type { OrderPatch } from "../db/orders-store";
import { failureVerdict } from "../domain/swap-failure";
import type { SwapRequest } from "../domain/swap-order";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import type { QueueBook } from "./queue-book";
import { PermanentError } from "./queue-execute";
import { filledSteps, givenUpSteps, type Outcome } from "./queue-outcomes";
import type { OwedLedger } from "./queue-owed";
import {
  insertOrder,
  markCancelled,
  markFilled,
  markRetry,
  markWaiting,
  type QueueRow,
  writeDeadLetter,
} from "./queue-storage";

/**
 * An execution's outcome written in the SwapQueue's SQLite: the order's queue state together with every step
 * it still owes elsewhere, in ONE storage transaction (DESIGN §1 owed work). Running those steps (now, behind,
 * or by the alarm) is the actor's.
 */
export interface OutcomeStore {
  storage: DurableObjectStorage;
  owed: OwedLedger;
}

/** A new order's row with its D1 row owed, in one write (cancelled at once when the enqueue refused it). */
export function recordEnqueue(
  s: OutcomeStore,
  orderId: string,
  req: SwapRequest,
  cancelReason: string | null,
  nowMs: number,
): void {
  s.storage.transactionSync(() => {
    insertOrder(s.storage.sql, orderId, req, cancelReason, nowMs);
    s.owed.record(orderId, [
      { step: "d1_order", payload: cancelReason ? { status: "cancelled", cancel_reason: cancelReason } : {} },
    ]);
  });
  if (cancelReason) log.info("order_cancelled", { order_id: orderId, reason: cancelReason, side: req.side });
  else log.debug("order_enqueued", { order_id: orderId, side: req.side, priority: req.priority, reason: req.reason });
}

/** The fill, the book and what it owes, in one write: from here on the order is never executed again. */
export function recordFill(
  s: OutcomeStore,
  book: QueueBook,
  row: QueueRow,
  req: SwapRequest,
  outcome: Extract<Outcome, { kind: "filled" }>,
): void {
  s.storage.transactionSync(() => {
    markFilled(s.storage.sql, row.order_id, Date.now());
    outcome.book(book);
    s.owed.record(row.order_id, filledSteps(outcome.next, outcome.d1));
  });
  log.info("order_filled", { order_id: row.order_id, side: req.side, reason: req.reason });
}

export function recordCancel(s: OutcomeStore, row: QueueRow, req: SwapRequest, reason: string): void {
  const steps = givenUpSteps(row, req, { status: "cancelled", reason });
  s.storage.transactionSync(() => {
    markCancelled(s.storage.sql, row.order_id, reason, Date.now());
    s.owed.record(row.order_id, steps);
  });
  log.info("order_cancelled", { order_id: row.order_id, reason, side: req.side });
}

/** An order that waits: tried again after `delayMs`, the reason shown on its D1 row. */
export function recordWait(s: OutcomeStore, orderId: string, delayMs: number, reason: string): void {
  markWaiting(s.storage.sql, orderId, Date.now() + delayMs, reason);
  noteProgress(s.owed, orderId, { last_error: reason });
}

/**
 * A failed execution: retried after a backoff, or (permanent, or past `max_swap_retries`) dead-lettered with
 * what it owes. `dead`: the caller runs those steps.
 */
export function recordFailure(
  s: OutcomeStore,
  row: QueueRow,
  req: SwapRequest,
  err: unknown,
  maxSwapRetries: number,
): "dead" | "retry" {
  const message = errorMessage(err);
  const verdict = failureVerdict(row.attempts, err instanceof PermanentError, maxSwapRetries);
  const attempts = verdict.attempts;
  const sql = s.storage.sql;
  if (verdict.kind === "dead") {
    const steps = givenUpSteps(row, req, { status: "dead", attempts, message });
    s.storage.transactionSync(() => {
      writeDeadLetter(sql, row, attempts, message);
      s.owed.record(row.order_id, steps);
    });
    log.error("order_dead_lettered", { order_id: row.order_id, attempts, error: message });
    return "dead";
  }
  const backoff = verdict.backoff_ms;
  markRetry(sql, row.order_id, attempts, message, Date.now() + backoff);
  log.warn("order_attempt_failed", { order_id: row.order_id, attempts, retry_in_ms: backoff, error: message });
  noteProgress(s.owed, row.order_id, { attempts, last_error: message });
  return "retry";
}

/**
 * Attempts and waits shown on a still-pending D1 order: owed with the order's D1 row (its intent insert and
 * this pending-only update in one batch, so a note never lands before the row), written behind, never
 * awaited on the execution path.
 */
function noteProgress(owed: OwedLedger, orderId: string, patch: OrderPatch): void {
  // Its own step: the order's intent step (`d1_order`, which a live order waits for) is left as it is.
  owed.record(orderId, [{ step: "d1_note", payload: patch }]);
}
