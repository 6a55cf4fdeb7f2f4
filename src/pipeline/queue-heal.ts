import type { Db } from "../db/client";
import { getOrder, openOrdersBefore } from "../db/orders-store";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { OwedLedger, OwedStep } from "./queue-owed";
import type { QueueRow } from "./queue-storage";

/** The watchdog leaves alone D1 orders younger than this: their enqueue may still be on its way here. */
const HEAL_GRACE_MS = 10 * 60_000;

/**
 * The SwapQueue's watchdog (hourly cron): D1 orders still open (pending…) that the queue no longer holds as
 * pending are healed. An outcome recorded in the queue has its D1 step replayed; an order the queue never
 * recorded is dead-lettered with its release and signal steps, so a dead BUY never stays pending in D1.
 */
export async function healOpenOrders(
  storage: DurableObjectStorage,
  db: Db,
  owed: OwedLedger,
): Promise<{ checked: number; replayed: number; orphaned: number }> {
  const cutoff = nowIso(Date.now() - HEAL_GRACE_MS);
  const open = await openOrdersBefore(db, cutoff, 500);
  let replayed = 0;
  let orphaned = 0;
  const sql = storage.sql;
  for (const o of open) {
    const row = sql.exec<QueueRow>("SELECT * FROM queue WHERE order_id = ?", o.id).toArray()[0];
    if (row?.state === "pending") continue; // live: the queue will execute it
    if (row) {
      const known = sql.exec("SELECT 1 FROM owed WHERE order_id = ? AND step = 'd1_order'", o.id).toArray().length;
      if (known) {
        sql.exec(
          "UPDATE owed SET state = 'owed', not_before_ms = 0, done_at_ms = NULL WHERE order_id = ? AND step = 'd1_order'",
          o.id,
        );
      } else if (row.state === "done") {
        // A fill recorded by an earlier build without its owed steps: its data lives in D1 only if it was
        // written, and it was not. Nothing here to replay it from; the operator sees it in the log.
        log.error("order_heal_fill_unknown", { order_id: o.id });
        continue;
      } else {
        owed.record(o.id, [
          {
            step: "d1_order",
            payload:
              row.state === "dead"
                ? { status: "dead", attempts: row.attempts, last_error: row.last_error }
                : { status: "cancelled", cancel_reason: row.last_error },
          },
        ]);
      }
      replayed++;
      log.warn("order_heal_replayed", { order_id: o.id, queue_state: row.state });
      continue;
    }
    const order = await getOrder(db, o.id);
    if (!order || !["pending", "executing", "submitted", "failed"].includes(order.status)) continue;
    const message = "orphaned: the swap queue never recorded this order (healed by the watchdog)";
    const steps: OwedStep[] = [{ step: "d1_order", payload: { status: "dead", last_error: message } }];
    if (order.side === "buy" && (order.signal_id != null || order.signal_signature))
      steps.push({
        step: "signal_filtered",
        payload: {
          signal_id: order.signal_id,
          ...(order.signal_signature ? { signal_signature: order.signal_signature } : {}),
          reason: "entry_failed",
        },
      });
    if (order.side === "sell" && order.position_id)
      steps.push({
        step: "release",
        payload: { position_id: order.position_id, outcome: "dead", key: order.idempotency_key },
      });
    storage.transactionSync(() => {
      sql.exec(
        `INSERT OR REPLACE INTO dead_letters (order_id, idempotency_key, request, attempts, last_error, died_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        order.id,
        order.idempotency_key,
        JSON.stringify({ from_d1: true, side: order.side, token_mint: order.token_mint }),
        order.attempts,
        message,
        nowIso(),
      );
      owed.record(order.id, steps);
    });
    orphaned++;
    log.error("order_heal_orphaned", { order_id: order.id, side: order.side });
  }
  if (replayed + orphaned > 0) await owed.run();
  return { checked: open.length, replayed, orphaned };
}
