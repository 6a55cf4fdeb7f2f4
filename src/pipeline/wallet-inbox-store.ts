// The WalletActor's SQLite inbox (tables `inbox` and `meta`): every statement it runs on them, so the actor reads
// as its decisions and hand-offs. All synchronous: a caller that checks then writes without an await in between
// cannot be interleaved (the duplicate detection of `ingest` relies on it).
import type { CancelledDecision, EntryDecision, ExitDecision, InboxRow, Row } from "./wallet-inbox";

/** Done inbox rows are kept this long for dedupe; beyond it the unique signature in D1 still dedupes. */
const INBOX_RETENTION_MS = 7 * 86_400_000;

/** Inbox states the alarm works on. */
const ACTIVE_STATES: readonly string[] = ["received", "recorded", "parking"];
const ACTIVE = `state IN (${ACTIVE_STATES.map((st) => `'${st}'`).join(", ")})`;

/** A row in a state the alarm works on (a chain step re-checks it after each await). */
export function isActive(row: Row | undefined): row is Row {
  return row !== undefined && ACTIVE_STATES.includes(row.state);
}

export class InboxStore {
  constructor(private readonly sql: SqlStorage) {}

  /** The schema, created once in the actor's constructor under blockConcurrencyWhile. */
  migrate() {
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS inbox (
        signature TEXT PRIMARY KEY,
        payload TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL,
        wallet_id INTEGER,
        wallet_active INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'received',
        signal_id INTEGER,
        signal_type TEXT,
        decision TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        last_error TEXT
      )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS inbox_due ON inbox (state, next_attempt_ms)");
  }

  /** The watched address this actor was first given (its identity, persisted on first call). */
  address(): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'address'").toArray()[0];
    return row?.value ?? null;
  }

  setAddress(address: string) {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('address', ?)", address);
  }

  backfillCursor(): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'backfill_cursor'").toArray()[0];
    return row?.value ?? null;
  }

  setBackfillCursor(signature: string) {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('backfill_cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      signature,
    );
  }

  /** Stores a delivered transaction; false: its signature was already there (a duplicate). */
  insert(
    signature: string,
    payload: unknown,
    receivedAtMs: number,
    wallet: { id: number; is_active: boolean },
  ): boolean {
    const cur = this.sql.exec(
      `INSERT INTO inbox (signature, payload, received_at_ms, wallet_id, wallet_active, next_attempt_ms)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (signature) DO NOTHING`,
      signature,
      JSON.stringify(payload),
      receivedAtMs,
      wallet.id,
      wallet.is_active ? 1 : 0,
      receivedAtMs,
    );
    return cur.rowsWritten > 0;
  }

  row(signature: string): Row | undefined {
    return this.sql.exec<Row>("SELECT * FROM inbox WHERE signature = ?", signature).toArray()[0];
  }

  /** Some row is still to be worked on. */
  hasActive(): boolean {
    return this.sql.exec(`SELECT 1 FROM inbox WHERE ${ACTIVE} LIMIT 1`).toArray().length > 0;
  }

  /** The rows (newest first), optionally of one state, as exposed for the API, tests and diagnostics. */
  list(limit: number, state?: InboxRow["state"]): InboxRow[] {
    return this.sql
      .exec<Row>(
        "SELECT * FROM inbox WHERE ? IS NULL OR state = ? ORDER BY received_at_ms DESC, signature LIMIT ?",
        state ?? null,
        state ?? null,
        limit,
      )
      .toArray()
      .map((r) => ({
        signature: r.signature,
        state: r.state,
        signal_id: r.signal_id,
        signal_type: r.signal_type,
        attempts: r.attempts,
        next_attempt_ms: r.next_attempt_ms,
        last_error: r.last_error,
        decision: r.decision ? JSON.parse(r.decision) : null,
      }));
  }

  /** The `limit` active rows due soonest, for the alarm's next time. */
  soonestActive(limit: number): { signature: string; t: number }[] {
    return this.sql
      .exec<{ signature: string; t: number }>(
        `SELECT signature, next_attempt_ms AS t FROM inbox WHERE ${ACTIVE} ORDER BY next_attempt_ms LIMIT ?`,
        limit,
      )
      .toArray();
  }

  /** Forgets done rows past their dedupe retention. */
  prune(now: number) {
    this.sql.exec("DELETE FROM inbox WHERE state = 'done' AND received_at_ms < ?", now - INBOX_RETENTION_MS);
  }

  /** Active rows due by `now`, in arrival order (at most 50 a run). */
  due(now: number): Row[] {
    return this.sql
      .exec<Row>(`SELECT * FROM inbox WHERE ${ACTIVE} AND next_attempt_ms <= ? ORDER BY rowid LIMIT 50`, now)
      .toArray();
  }

  /** A failed step: its attempt counted and backed off, or the row parked (its signal then owed to D1). */
  failed(signature: string, attempts: number, nextAttemptMs: number, error: string, park: boolean) {
    this.sql.exec(
      "UPDATE inbox SET attempts = ?, next_attempt_ms = ?, last_error = ?, state = CASE WHEN ? THEN 'parking' ELSE state END WHERE signature = ?",
      attempts,
      nextAttemptMs,
      error.slice(0, 500),
      park ? 1 : 0,
      signature,
    );
  }

  /** A parked row whose signal is written: dead from now on. */
  markDead(signature: string) {
    this.sql.exec("UPDATE inbox SET state = 'dead' WHERE signature = ? AND state = 'parking'", signature);
  }

  /** A parked row whose signal write failed: tried again at `at`. */
  retryParkingAt(signature: string, at: number) {
    this.sql.exec("UPDATE inbox SET next_attempt_ms = ? WHERE signature = ? AND state = 'parking'", at, signature);
  }

  /** A dead row back in line with a fresh attempt count, from where it stopped. */
  requeue(signature: string, now: number) {
    this.sql.exec(
      "UPDATE inbox SET state = CASE WHEN signal_type IS NULL THEN 'received' ELSE 'recorded' END, attempts = 0, next_attempt_ms = ? WHERE signature = ? AND state = 'dead'",
      now,
      signature,
    );
  }

  /** A received row recorded: done when filtered at once, recorded (its decision next) otherwise. */
  markRecorded(signature: string, final: boolean, signalType: string) {
    this.sql.exec(
      "UPDATE inbox SET state = ?, signal_type = ?, last_error = NULL WHERE signature = ? AND state = 'received'",
      final ? "done" : "recorded",
      signalType,
      signature,
    );
  }

  setState(signature: string, state: Row["state"], extra: { signal_id?: number; signal_type?: string } = {}) {
    this.sql.exec(
      "UPDATE inbox SET state = ?, signal_id = COALESCE(?, signal_id), signal_type = COALESCE(?, signal_type), last_error = NULL WHERE signature = ?",
      state,
      extra.signal_id ?? null,
      extra.signal_type ?? null,
      signature,
    );
  }

  saveDecision(signature: string, decision: EntryDecision | ExitDecision | CancelledDecision) {
    this.sql.exec("UPDATE inbox SET decision = ? WHERE signature = ?", JSON.stringify(decision), signature);
  }

  /** Rows not done that arrived before the sale and may be BUYs (not classified yet, or classified buy). */
  possibleBuysBefore(saleSignature: string): Row[] {
    return this.sql
      .exec<Row>(
        `SELECT * FROM inbox WHERE state != 'done' AND signature != ?1
           AND rowid < (SELECT rowid FROM inbox WHERE signature = ?1) AND (signal_type IS NULL OR signal_type = 'buy')`,
        saleSignature,
      )
      .toArray();
  }
}
