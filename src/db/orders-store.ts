import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Db } from "./client";
import { type OrderRow, orders } from "./schema";

export type OrderInsert = typeof orders.$inferInsert;
type OrderStatus = OrderRow["status"];
export type OrderPatch = Partial<Omit<OrderInsert, "id" | "idempotency_key" | "created_at">>;

/**
 * Writes the swap intent (DESIGN §1: persisted before any upstream call). The idempotency key is unique in
 * D1, so a retried enqueue after a crash finds the row it wrote the first time instead of a second one.
 */
export async function insertOrderIntent(db: Db, row: OrderInsert): Promise<OrderRow> {
  await db.insert(orders).values(row).onConflictDoNothing({ target: orders.idempotency_key }).run();
  const stored = await db.select().from(orders).where(eq(orders.idempotency_key, row.idempotency_key)).get();
  if (!stored) throw new Error(`order ${row.idempotency_key} vanished after insert`);
  return stored;
}

export async function updateOrder(db: Db, id: string, patch: OrderPatch): Promise<void> {
  await db
    .update(orders)
    .set({ ...patch, updated_at: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` })
    .where(eq(orders.id, id))
    .run();
}

/** Statuses an order may still leave; `filled`, `cancelled` and `dead` are outcomes. */
export const OPEN_ORDER_STATUSES = ["pending", "executing", "submitted", "failed"] as const satisfies OrderStatus[];

/**
 * Writes an order's outcome to the read model without ever moving it backwards (DESIGN §1): a fill lands
 * over anything but an earlier fill (the queue's record of the fill is the truth), a cancel or a dead letter
 * only over a status that is not an outcome yet, and progress notes (attempts, last error) only while
 * pending. Idempotent, so the SwapQueue retries it until done.
 */
export async function settleOrder(db: Db, id: string, patch: OrderPatch): Promise<void> {
  await settleOrderQuery(db, id, patch).run();
}

/** The guarded update of `settleOrder` as a statement, for a write-behind batch. */
export function settleOrderQuery(db: Db, id: string, patch: OrderPatch) {
  const guard =
    patch.status === "filled"
      ? ne(orders.status, "filled")
      : patch.status === "cancelled" || patch.status === "dead"
        ? inArray(orders.status, OPEN_ORDER_STATUSES)
        : eq(orders.status, "pending");
  return db
    .update(orders)
    .set({ ...patch, updated_at: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` })
    .where(and(eq(orders.id, id), guard));
}

/**
 * The intent insert of `insertOrderIntent` as a statement: a row already there (same key) is left as is. A row
 * with a signal signature and no id takes the signal's id if its row is in D1 already (else the signals
 * insert trigger of migration 0025 links it when it lands).
 */
export function orderIntentInsert(db: Db, row: OrderInsert) {
  const signature = row.signal_id == null ? row.signal_signature : null;
  const values = signature
    ? { ...row, signal_id: sql<number>`(SELECT id FROM signals WHERE transaction_signature = ${signature})` }
    : row;
  return db.insert(orders).values(values).onConflictDoNothing({ target: orders.idempotency_key });
}

/** Orders still open in D1 that were requested before `beforeIso`, for the watchdog to compare with the queue. */
export async function openOrdersBefore(db: Db, beforeIso: string, limit: number) {
  return db
    .select({ id: orders.id, requested_at: orders.requested_at })
    .from(orders)
    .where(and(inArray(orders.status, OPEN_ORDER_STATUSES), sql`${orders.requested_at} < ${beforeIso}`))
    .orderBy(orders.requested_at)
    .limit(limit)
    .all();
}

export async function getOrder(db: Db, id: string): Promise<OrderRow | undefined> {
  return db.select().from(orders).where(eq(orders.id, id)).get();
}
