import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { type OrderInsert, type OrderPatch, orderIntentInsert, settleOrderQuery } from "../db/orders-store";
import { signalFilteredInsert } from "../db/signal-outcomes";
import type { SwapRequest } from "../domain/swap-order";
import { nowIso } from "../lib/time";

/**
 * The SwapQueue's D1 write-behind (issue 10): the queue decides from its own storage and owes D1 the rows
 * (DESIGN §1: D1 is the read model). Each owed D1 step becomes statements that are idempotent and never move
 * a row backwards, so they can be batched, retried and replayed in any order:
 * - `d1_order`: the intent insert (ON CONFLICT DO NOTHING on the idempotency key) then the guarded outcome
 *   update (`settleOrder`'s guard), so a late intent never overwrites a fill and a late cancel never a fill;
 * - `signal_filtered`: an insert-only `signal_outcomes` row (signals are append-only, issue 16).
 */
export type D1Step =
  | { step: "d1_order"; payload: OrderPatch }
  /** Attempts and waits of a still-pending order (informational): the intent insert and a pending-only update. */
  | { step: "d1_note"; payload: OrderPatch }
  | { step: "signal_filtered"; payload: { signal_id: number | null; signal_signature?: string; reason: string } };

/** What the queue holds of an order: enough to rebuild its D1 intent row at any time. */
export interface QueuedOrder {
  order_id: string;
  idempotency_key: string;
  request: SwapRequest;
  created_at_ms: number;
}

/** The D1 `orders` intent row of a queued order (status pending; the outcome is applied over it). */
export function orderIntentRow(o: QueuedOrder): OrderInsert {
  const req = o.request;
  return {
    id: o.order_id,
    idempotency_key: o.idempotency_key,
    position_id: req.position_id ?? null,
    signal_id: req.signal_id ?? null,
    signal_signature: req.signal_signature ?? null,
    wallet_id: req.wallet_id,
    token_mint: req.token_mint,
    side: req.side,
    priority: req.priority,
    mode: req.mode,
    status: "pending",
    reason: req.reason,
    requested_amount: req.sell_amount ?? null,
    requested_usd: req.requested_usd ?? null,
    sell_fraction: req.sell_fraction ?? null,
    expected_price_usd: req.trigger_price_usd ?? null,
    scaling_level: req.scaling_level ?? null,
    requested_at: nowIso(o.created_at_ms),
  };
}

/**
 * The statements of one owed D1 step. `order` is null for an order this queue never held (healed from D1 by
 * the watchdog): its row exists already, only the outcome is applied.
 */
export function d1StepStatements(db: Db, s: D1Step, orderId: string, order: QueuedOrder | null): BatchItem<"sqlite">[] {
  if (s.step === "signal_filtered")
    return [
      signalFilteredInsert(db, s.payload.signal_id ?? s.payload.signal_signature ?? null, orderId, s.payload.reason),
    ];
  const out: BatchItem<"sqlite">[] = [];
  if (order) out.push(orderIntentInsert(db, orderIntentRow(order)));
  if (Object.keys(s.payload).length > 0) out.push(settleOrderQuery(db, orderId, s.payload));
  return out;
}

/** Runs statements as one D1 batch (atomic); an empty list is nothing to do. */
export async function runBatch(db: Db, stmts: BatchItem<"sqlite">[]): Promise<void> {
  if (stmts.length === 0) return;
  await db.batch(stmts as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
