/**
 * A WalletActor's own log of its leader's trades (issue 10: no D1 read on the entry / exit path): every BUY and
 * SELL it classified, with the chain point, the amount and, for a BUY that passed, the entry decided and its
 * order. The decisions read it instead of D1's `signals`: a SELL made after a BUY (leader_already_sold), the
 * first entry in a mint (re-buy sizing, buy-once), the leader's holding before a sale (mirror fraction).
 *
 * One actor per leader, so this is the whole history of its trades. An actor that existed before the log
 * copies its D1 history once (`seed`), the only D1 read the log ever needs.
 */
export type LoggedTrade = {
  signature: string;
  type: "buy" | "sell";
  mint: string;
  /** Base units (integer text), or null when unknown. */
  amount: string | null;
  slot: number | null;
  block_time_ms: number | null;
  received_ms: number;
  /** Insertion order (chain-order tie break, as D1's signal id was). */
  seq: number;
  entry_usd: number | null;
  order_id: string | null;
};

export class SignalLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS signal_log (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      signature TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL,
      mint TEXT NOT NULL,
      amount TEXT,
      slot INTEGER,
      block_time_ms INTEGER,
      received_ms INTEGER NOT NULL,
      entry_usd REAL,
      order_id TEXT
    )`);
    sql.exec("CREATE INDEX IF NOT EXISTS signal_log_mint ON signal_log (mint, type)");
  }

  seeded(): boolean {
    return this.sql.exec("SELECT 1 FROM meta WHERE key = 'signal_log_seeded'").toArray().length > 0;
  }

  /** Copies the D1 history (in D1 id order) once; trades already logged are kept. */
  seed(rows: readonly Omit<LoggedTrade, "seq">[]) {
    for (const r of rows) this.note(r);
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('signal_log_seeded', ?) ON CONFLICT(key) DO NOTHING",
      String(rows.length),
    );
  }

  /** A trade classified (idempotent by signature). */
  note(
    t: Omit<LoggedTrade, "seq" | "entry_usd" | "order_id"> & { entry_usd?: number | null; order_id?: string | null },
  ) {
    this.sql.exec(
      `INSERT INTO signal_log (signature, type, mint, amount, slot, block_time_ms, received_ms, entry_usd, order_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (signature) DO NOTHING`,
      t.signature,
      t.type,
      t.mint,
      t.amount,
      t.slot,
      t.block_time_ms,
      t.received_ms,
      t.entry_usd ?? null,
      t.order_id ?? null,
    );
  }

  /** A BUY's entry decided (usd) and its order once queued; null usd: no entry after all (refused, given up). */
  entered(signature: string, usd: number | null, orderId: string | null) {
    this.sql.exec("UPDATE signal_log SET entry_usd = ?, order_id = ? WHERE signature = ?", usd, orderId, signature);
  }

  /** This leader's trades of the mint, in insertion order, optionally of one side. */
  trades(mint: string, type?: LoggedTrade["type"]): LoggedTrade[] {
    return this.sql
      .exec<LoggedTrade>(
        "SELECT * FROM signal_log WHERE mint = ? AND (? IS NULL OR type = ?) ORDER BY seq",
        mint,
        type ?? null,
        type ?? null,
      )
      .toArray();
  }

  seqOf(signature: string): number | null {
    return (
      this.sql.exec<{ seq: number }>("SELECT seq FROM signal_log WHERE signature = ?", signature).toArray()[0]?.seq ??
      null
    );
  }
}
