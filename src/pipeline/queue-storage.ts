import { ORDER_PRIORITIES } from "../db/schema";
import type { OpenPositionInput } from "../domain/position";
import { PRIORITY_RANK, type SwapRequest } from "../domain/swap-order";
import { nowIso } from "../lib/time";
import { LIVE_IN_FLIGHT_SQL } from "./live-orders";

/**
 * The SwapQueue's own SQLite (DESIGN §1): the queue (intent and state of every order), the dead letters, the
 * owed steps (kept after done, so the watchdog can replay a step whose effect was later undone), the leader
 * exits and `meta` (bucket, last execution, hot-state caches). Created idempotently at every start.
 */
export function createQueueTables(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  sql.exec(`CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    priority TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER
  )`);
  sql.exec("CREATE INDEX IF NOT EXISTS queue_due ON queue (state, priority_rank, seq)");
  sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
    order_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    request TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    died_at TEXT NOT NULL
  )`);
  // Kept after done (state 'done'), so the watchdog can replay a step whose effect was later undone.
  sql.exec(`CREATE TABLE IF NOT EXISTS owed (
    order_id TEXT NOT NULL,
    step TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'owed',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    not_before_ms INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    done_at_ms INTEGER,
    PRIMARY KEY (order_id, step)
  )`);
  sql.exec("CREATE INDEX IF NOT EXISTS owed_due ON owed (state, not_before_ms)");
  // Entries whose leader sold the mint before they executed (issue 9): the executor must not fill them.
  sql.exec(`CREATE TABLE IF NOT EXISTS leader_exits (
    order_id TEXT PRIMARY KEY,
    signal_id INTEGER,
    at_ms INTEGER NOT NULL
  )`);
}

export type QueueState = "pending" | "done" | "cancelled" | "dead";

export type QueueRow = {
  seq: number;
  order_id: string;
  idempotency_key: string;
  priority: string;
  request: string;
  state: QueueState;
  attempts: number;
  not_before_ms: number;
  last_error: string | null;
  created_at_ms: number;
};

/** Queue depth per priority, the dead letters and the owed steps still to do, for the operator's status. */
export function queueDepthAndOwed(sql: SqlStorage) {
  const depth = Object.fromEntries(ORDER_PRIORITIES.map((p) => [p, 0])) as Record<string, number>;
  for (const r of sql
    .exec<{ priority: string; n: number }>(
      "SELECT priority, COUNT(*) AS n FROM queue WHERE state = 'pending' GROUP BY priority",
    )
    .toArray())
    depth[r.priority] = r.n;
  const dead = sql
    .exec<{
      order_id: string;
      idempotency_key: string;
      attempts: number;
      last_error: string | null;
      died_at: string;
    }>(
      "SELECT order_id, idempotency_key, attempts, last_error, died_at FROM dead_letters ORDER BY died_at DESC LIMIT 50",
    )
    .toArray();
  const owed = sql
    .exec<{ order_id: string; step: string; attempts: number; last_error: string | null; not_before_ms: number }>(
      "SELECT order_id, step, attempts, last_error, not_before_ms FROM owed WHERE state = 'owed' ORDER BY created_at_ms LIMIT 50",
    )
    .toArray()
    .map((o) => ({ ...o, next_attempt_at: nowIso(o.not_before_ms) }));
  return { depth, pending: Object.values(depth).reduce((a, b) => a + b, 0), dead_letters: dead, owed };
}

/** The queue's own state of some orders (at most 100), null for an order it never held. */
export function orderStatesOf(sql: SqlStorage, orderIds: string[]): Record<string, QueueState | null> {
  const out: Record<string, QueueState | null> = {};
  for (const id of orderIds.slice(0, 100))
    out[id] =
      sql.exec<{ state: QueueState }>("SELECT state FROM queue WHERE order_id = ?", id).toArray()[0]?.state ?? null;
  return out;
}

/** One dead letter with its original request, or null. */
export function deadLetterOf(
  sql: SqlStorage,
  orderId: string,
): { order_id: string; attempts: number; request: SwapRequest } | null {
  const row = sql
    .exec<{ order_id: string; attempts: number; request: string }>(
      "SELECT order_id, attempts, request FROM dead_letters WHERE order_id = ?",
      orderId,
    )
    .toArray()[0];
  return row
    ? { order_id: row.order_id, attempts: row.attempts, request: JSON.parse(row.request) as SwapRequest }
    : null;
}

/** Positions whose opening is still owed here: the book counts them as open (their tokens are bought). */
export function owedOpenings(sql: SqlStorage) {
  return sql
    .exec<{ payload: string }>("SELECT payload FROM owed WHERE step = 'open_position' AND state = 'owed'")
    .toArray()
    .map((r) => JSON.parse(r.payload) as OpenPositionInput)
    .map((o) => ({
      id: o.position_id,
      entry_cost_usd: o.entry_cost_usd,
      entry_amount: o.entry_amount,
      current_amount: o.entry_amount,
    }));
}

/**
 * The earliest due times the alarm is armed for: pending simulated and live orders, and owed steps other than
 * those running now (a background write-behind re-arms when it ends, if still owed).
 */
export function nextDueTimes(sql: SqlStorage, running: ReadonlySet<string>) {
  const min = (query: string, ...args: unknown[]) => sql.exec<{ t: number | null }>(query, ...args).one().t;
  return {
    // A live order already started (signed / submitted) is reconciled without a swap token: it is due like a
    // simulated one; only live orders that still need a quote wait for the bucket.
    nextSim: min(
      `SELECT MIN(not_before_ms) AS t FROM queue WHERE state = 'pending'
         AND (json_extract(request, '$.mode') <> 'live' OR ${LIVE_IN_FLIGHT_SQL})`,
    ),
    nextLive: min(
      `SELECT MIN(not_before_ms) AS t FROM queue WHERE state = 'pending'
         AND json_extract(request, '$.mode') = 'live' AND NOT ${LIVE_IN_FLIGHT_SQL}`,
    ),
    // An order with a step running is not due: its later steps wait for that one (OwedLedger.run), and the
    // run that finishes it re-arms.
    nextOwed: min(
      `SELECT MIN(not_before_ms) AS t FROM owed WHERE state = 'owed'
         AND order_id NOT IN (SELECT value FROM json_each(?))`,
      JSON.stringify([...running].map((id) => id.slice(0, id.lastIndexOf("/")))),
    ),
  };
}

/** Marks an order dead and keeps its request as a dead letter (retry / discard routes), in the caller's transaction. */
export function writeDeadLetter(sql: SqlStorage, row: QueueRow, attempts: number, message: string): void {
  sql.exec(
    "UPDATE queue SET state = 'dead', attempts = ?, last_error = ?, finished_at_ms = ? WHERE order_id = ?",
    attempts,
    message,
    Date.now(),
    row.order_id,
  );
  sql.exec(
    `INSERT OR REPLACE INTO dead_letters (order_id, idempotency_key, request, attempts, last_error, died_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    row.order_id,
    row.idempotency_key,
    row.request,
    attempts,
    message,
    nowIso(),
  );
}

// ---------------------------------------------------------------- an order's queue state
// Each write that records an outcome runs inside the caller's transaction, with the owed steps of that outcome
// (src/pipeline/queue-owed.ts).

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

// ---------------------------------------------------------------- small reads and `meta`

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
