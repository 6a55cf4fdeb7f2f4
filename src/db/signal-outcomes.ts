import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { signalOutcomes, signals } from "./schema";

/**
 * Signals are an append-only log (issue 16): the WalletActor writes a signal row once with its decision; what
 * the SwapQueue learns later (it refused the entry: breaker, caps, leader exited, stale, failed) is a row of
 * `signal_outcomes`, insert-only. The read model (API list/export, dashboard) shows the effective decision:
 * the signal's own filter if it has one, else the queue's refusal.
 */

/**
 * The statement recording that the queue refused a signal's entry; idempotent (the first outcome stays). The
 * signal is named by id, or by transaction signature when the queue got none (its row was written behind):
 * a signal not in D1 yet then fails the statement (NOT NULL), so the owed step is retried until it is there.
 */
export function signalFilteredInsert(db: Db, signal: number | string | null, orderId: string, reason: string) {
  const signalId =
    typeof signal === "string" ? sql<number>`(SELECT id FROM signals WHERE transaction_signature = ${signal})` : signal;
  return db
    .insert(signalOutcomes)
    .values({ signal_id: signalId as number, kind: "filtered", reason, order_id: orderId })
    .onConflictDoNothing();
}

// Raw SQL so the test helpers that read D1 directly use the very same definition (`signals` unaliased).
const OUTCOME = (col: "reason" | "order_id") =>
  `(SELECT o.${col} FROM signal_outcomes o WHERE o.signal_id = signals.id AND o.kind = 'filtered')`;
const HAS_OUTCOME = "EXISTS (SELECT 1 FROM signal_outcomes o WHERE o.signal_id = signals.id AND o.kind = 'filtered')";

/** Effective `filtered`, `filter_reason`, `order_id` of a row of `signals`, as SQL text (0/1 for filtered). */
export const EFFECTIVE_SIGNAL_SQL = {
  filtered: `(CASE WHEN signals.filtered = 1 OR ${HAS_OUTCOME} THEN 1 ELSE 0 END)`,
  filter_reason: `(CASE WHEN signals.filtered = 1 THEN signals.filter_reason ELSE COALESCE(${OUTCOME("reason")}, signals.filter_reason) END)`,
  order_id: `(CASE WHEN signals.filtered = 1 THEN signals.order_id ELSE COALESCE(${OUTCOME("order_id")}, signals.order_id) END)`,
} as const;

/** `SELECT` list for raw reads of signals with the effective decision in place of the stored one. */
export const SIGNALS_READ_COLUMNS = `signals.*, ${EFFECTIVE_SIGNAL_SQL.filtered} AS filtered, ${EFFECTIVE_SIGNAL_SQL.filter_reason} AS filter_reason, ${EFFECTIVE_SIGNAL_SQL.order_id} AS order_id`;

/** The same as drizzle expressions, typed like the columns they stand for. */
export const effectiveSignal = {
  filtered: sql.raw(EFFECTIVE_SIGNAL_SQL.filtered).mapWith(signals.filtered) as SQL<boolean>,
  filter_reason: sql.raw(EFFECTIVE_SIGNAL_SQL.filter_reason).mapWith(String) as SQL<string | null>,
  order_id: sql.raw(EFFECTIVE_SIGNAL_SQL.order_id).mapWith(String) as SQL<string | null>,
};
