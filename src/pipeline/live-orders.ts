import { isTerminal, type LiveOrderState, mayStillLand } from "../domain/live-order";

/**
 * The SwapQueue's store of live orders (issue 11), a table of the queue's own SQLite: one row per queue order
 * that went live, holding the LiveExecutor's whole state (JSON) plus what the queue fixed when it started it
 * (`context`: the SOL price the USD amounts are read at, the position's recorded amount…). The executor
 * saves every state here before its next step, so after a crash or an eviction the order resumes from the
 * last saved state and a signed transaction is only ever reconciled by its signature.
 */
export interface LiveOrderContext {
  /** SOL price (USD) when the order started: lamports → USD for the intent, the fill and the book. */
  sol_price_usd: number;
  token_decimals: number;
  /** sell: the position's recorded remainder and whether the exit sells all of it. */
  recorded_amount?: string;
  full?: boolean;
  /** sell, partial: the share of the recorded remainder this exit sells (scales the real holding). */
  fraction?: number;
}

export type LiveOrderRow = {
  order_id: string;
  status: LiveOrderState["status"];
  attempt: number;
  signature: string | null;
  state: string;
  context: string;
  alerted_stuck: number;
  created_at_ms: number;
  updated_at_ms: number;
};

/** Orders whose signature may still land: reconciled without a swap token, never cancelled by the queue. */
export const LIVE_IN_FLIGHT_SQL =
  "order_id IN (SELECT order_id FROM live_orders WHERE status IN ('signed', 'submitted'))";

export class LiveOrderStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS live_orders (
      order_id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      signature TEXT,
      state TEXT NOT NULL,
      context TEXT NOT NULL,
      alerted_stuck INTEGER NOT NULL DEFAULT 0,
      created_at_ms INTEGER NOT NULL,
      updated_at_ms INTEGER NOT NULL
    )`);
    sql.exec("CREATE INDEX IF NOT EXISTS live_orders_status ON live_orders (status)");
  }

  row(orderId: string): LiveOrderRow | undefined {
    return this.sql.exec<LiveOrderRow>("SELECT * FROM live_orders WHERE order_id = ?", orderId).toArray()[0];
  }

  load(orderId: string): { state: LiveOrderState; context: LiveOrderContext } | null {
    const r = this.row(orderId);
    return r
      ? { state: JSON.parse(r.state) as LiveOrderState, context: JSON.parse(r.context) as LiveOrderContext }
      : null;
  }

  /** The executor started this order (its intent is stored): it resumes, the queue's refusals no longer apply. */
  started(orderId: string): boolean {
    return this.row(orderId) !== undefined;
  }

  inFlight(orderId: string): boolean {
    const r = this.row(orderId);
    return r !== undefined && mayStillLand(r);
  }

  /** Upserts one state (call inside the storage transaction that records whatever goes with it). */
  put(s: LiveOrderState, context: LiveOrderContext) {
    const prev = this.row(s.intent.order_id);
    // Never backwards: a terminal row stays as it is (the executor checks transitions; this is the last guard).
    if (prev && isTerminal(prev)) return;
    this.sql.exec(
      `INSERT INTO live_orders (order_id, status, attempt, signature, state, context, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(order_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
         signature = excluded.signature, state = excluded.state, updated_at_ms = excluded.updated_at_ms`,
      s.intent.order_id,
      s.status,
      s.attempt,
      s.signature,
      JSON.stringify(s),
      JSON.stringify(context),
      Date.now(),
      Date.now(),
    );
  }

  /** Marks the stuck alert of an exit as raised; true the first time (the alert is owed once per stuck spell). */
  markStuckAlerted(orderId: string, stuck: boolean): boolean {
    const r = this.row(orderId);
    if (!r) return false;
    const was = r.alerted_stuck === 1;
    if (stuck === was) return false;
    this.sql.exec("UPDATE live_orders SET alerted_stuck = ? WHERE order_id = ?", stuck ? 1 : 0, orderId);
    return stuck;
  }
}
