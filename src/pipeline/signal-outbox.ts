import { and, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { isConstraintError } from "../db/constraint-error";
import { signals, wallets } from "../db/schema";
import { runBatch } from "./order-write-behind";
import type { Printable } from "./shared-d1-write";

/**
 * A WalletActor's signals on their way to D1 (issue 10 "the ack waits only for the inbox write", issue 16
 * "signals are an append-only log"). `record()` keeps the signal's values here as a draft (no D1), the decision
 * merges its fields into the draft, and `finish()` queues it: ONE insert per signal, written behind the decision
 * in batches and retried with backoff until it lands. Nothing here is ever an UPDATE of a D1 signal row.
 *
 * A row is deleted once written (its values live in D1 from then on); a parked row's draft stays a draft, so
 * an operator's requeue still decides it.
 */
export type SignalValues = typeof signals.$inferInsert;

type OutboxRow = {
  signature: string;
  signal: string;
  state: "draft" | "queued";
  attempts: number;
  next_attempt_ms: number;
  replace_placeholder: number;
};

export interface QueuedSignal {
  signature: string;
  values: SignalValues;
  /** A requeued parked row: its placeholder (`invalid_transaction`) signal in D1 takes these values. */
  replacePlaceholder: boolean;
  attempts: number;
}

const backoffMs = (attempts: number) => Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
/** Signals written per D1 batch (a batch is one round trip). */
export const FLUSH_BATCH = 50;

export class SignalOutbox {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS signal_outbox (
      signature TEXT PRIMARY KEY,
      signal TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_ms INTEGER NOT NULL DEFAULT 0,
      replace_placeholder INTEGER NOT NULL DEFAULT 0
    )`);
    sql.exec("CREATE INDEX IF NOT EXISTS signal_outbox_due ON signal_outbox (state, next_attempt_ms)");
  }

  private get(signature: string): OutboxRow | undefined {
    return this.sql.exec<OutboxRow>("SELECT * FROM signal_outbox WHERE signature = ?", signature).toArray()[0];
  }

  /** The signal's values as recorded (null: none kept here — a row recorded by an older version). */
  values(signature: string): SignalValues | null {
    const r = this.get(signature);
    return r && r.signal !== "{}" ? (JSON.parse(r.signal) as SignalValues) : null;
  }

  /** The values computed by `record()`, not yet decided. A re-record (requeued row) replaces them. */
  draft(values: SignalValues) {
    this.sql.exec(
      `INSERT INTO signal_outbox (signature, signal, state) VALUES (?, ?, 'draft')
       ON CONFLICT (signature) DO UPDATE SET signal = excluded.signal, state = 'draft', attempts = 0`,
      values.transaction_signature,
      JSON.stringify(values),
    );
  }

  /** Decision fields merged into a draft (a queued or written signal is never changed). */
  merge(signature: string, fields: Partial<SignalValues>): boolean {
    const r = this.get(signature);
    if (r?.state !== "draft" || r.signal === "{}") return false;
    const merged = { ...(JSON.parse(r.signal) as SignalValues), ...fields };
    this.sql.exec("UPDATE signal_outbox SET signal = ? WHERE signature = ?", JSON.stringify(merged), signature);
    return true;
  }

  /** The final decision: the draft with these fields, queued for its one insert. */
  queue(signature: string, fields: Partial<SignalValues>): boolean {
    if (!this.merge(signature, fields)) return false;
    this.sql.exec(
      "UPDATE signal_outbox SET state = 'queued', attempts = 0, next_attempt_ms = 0 WHERE signature = ?",
      signature,
    );
    return true;
  }

  /** A parked (dead) row requeued by the operator: its decided signal replaces the placeholder written at parking. */
  reopen(signature: string) {
    // A row never recorded gets an empty stub holding the flag; its re-record fills the draft in.
    this.sql.exec(
      `INSERT INTO signal_outbox (signature, signal, state, replace_placeholder) VALUES (?, '{}', 'draft', 1)
       ON CONFLICT (signature) DO UPDATE SET state = 'draft', replace_placeholder = 1 WHERE state != 'queued'`,
      signature,
    );
  }

  due(now: number, limit = FLUSH_BATCH): QueuedSignal[] {
    return this.sql
      .exec<OutboxRow>(
        "SELECT * FROM signal_outbox WHERE state = 'queued' AND next_attempt_ms <= ? ORDER BY rowid LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({
        signature: r.signature,
        values: JSON.parse(r.signal) as SignalValues,
        replacePlaceholder: r.replace_placeholder === 1,
        attempts: r.attempts,
      }));
  }

  written(signatures: string[]) {
    for (const s of signatures) this.sql.exec("DELETE FROM signal_outbox WHERE signature = ? AND state = 'queued'", s);
  }

  failed(signatures: string[], now: number) {
    for (const s of signatures) {
      const r = this.get(s);
      if (r?.state !== "queued") continue;
      const attempts = r.attempts + 1;
      this.sql.exec(
        "UPDATE signal_outbox SET attempts = ?, next_attempt_ms = ? WHERE signature = ?",
        attempts,
        now + backoffMs(attempts),
        s,
      );
    }
  }

  /** When the next queued signal is due (null: none owed). */
  soonest(): number | null {
    return (
      this.sql
        .exec<{ t: number | null }>("SELECT MIN(next_attempt_ms) AS t FROM signal_outbox WHERE state = 'queued'")
        .one().t ?? null
    );
  }
}

const insertSignal = (db: Db, s: QueuedSignal, values: SignalValues) => {
  const q = db.insert(signals).values(values);
  if (!s.replacePlaceholder) return q.onConflictDoNothing({ target: signals.transaction_signature });
  // The one exception to insert-only: the operator's requeue of a parked row replaces the placeholder this
  // actor wrote at parking (same leader, `invalid_transaction`) — the real decision was never written before.
  const { transaction_signature: _sig, ...fresh } = values;
  return q.onConflictDoUpdate({
    target: signals.transaction_signature,
    set: fresh,
    setWhere: sql`${signals.filter_reason} = 'invalid_transaction' AND ${signals.wallet_address} = ${values.wallet_address}`,
  });
};

const lastSignalAt = (db: Db, walletId: number, receivedIso: string) =>
  db
    .update(wallets)
    .set({ last_signal_at: receivedIso })
    .where(
      and(
        eq(wallets.id, walletId),
        sql`(${wallets.last_signal_at} IS NULL OR ${wallets.last_signal_at} < ${receivedIso})`,
      ),
    );

/** Writes statements as one atomic unit: the shared D1 writer (`sharedWrite`), or D1 itself. */
export type WriteUnit = (queries: Printable[]) => Promise<void>;

/**
 * Writes queued signals to D1: one batch (through `write`: the WalletActor's goes through the shared D1 writer,
 * with other actors' rows) of inserts (ON CONFLICT (transaction_signature) DO NOTHING: an earlier
 * try, or the actor of another watched wallet in the same transaction, wrote it first) plus each wallet's
 * `last_signal_at`. A FOREIGN KEY failure (the wallet row deleted since) fails the batch; the signals are then
 * written one by one, those of a gone wallet without the reference. Throws on any other failure (retried).
 */
export async function writeSignals(
  db: Db,
  rows: QueuedSignal[],
  write: WriteUnit = (queries) => runBatch(db, queries as unknown as BatchItem<"sqlite">[]),
): Promise<void> {
  if (rows.length === 0) return;
  const latest = new Map<number, string>();
  for (const r of rows) {
    const w = r.values.wallet_id;
    const at = r.values.webhook_received_at;
    if (w != null && at && (latest.get(w) ?? "") < at) latest.set(w, at);
  }
  const touch = [...latest].map(([w, at]) => lastSignalAt(db, w, at));
  try {
    const [first, ...rest] = rows as [QueuedSignal, ...QueuedSignal[]];
    await write([insertSignal(db, first, first.values), ...rest.map((r) => insertSignal(db, r, r.values)), ...touch]);
    return;
  } catch (err) {
    if (!isConstraintError(err, "FOREIGN KEY")) throw err;
  }
  for (const r of rows) {
    try {
      await insertSignal(db, r, r.values);
    } catch (err) {
      if (!isConstraintError(err, "FOREIGN KEY")) throw err;
      await insertSignal(db, r, { ...r.values, wallet_id: null }); // the wallet row is gone; keep the signal
    }
  }
  if (touch.length > 0) await db.batch(touch as [(typeof touch)[number], ...typeof touch]);
}
