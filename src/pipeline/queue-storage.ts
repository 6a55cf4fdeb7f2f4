import { ORDER_PRIORITIES } from "../db/schema";
import type { OpenPositionInput } from "../domain/position";
import type { SwapRequest } from "../domain/swap-order";
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
