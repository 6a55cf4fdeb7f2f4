import { bookExposure, type ExposedPosition } from "../domain/exposure";
import type { SwapRequest } from "../domain/swap-order";

/** The leader's trade a position copies. */
export interface PositionOrigin {
  leader_address: string;
  token_mint: string;
  leader_block_time_ms: number | null;
}

/** The origin an entry request names, recorded with its position so the entry facts read it by index. */
export function originOf(req: SwapRequest): PositionOrigin | undefined {
  const leader = req.entry?.source_wallet_address;
  if (typeof leader !== "string") return undefined;
  const t = req.leader_block_time;
  return {
    leader_address: leader,
    token_mint: req.token_mint,
    leader_block_time_ms: typeof t === "number" ? t * 1000 : null,
  };
}

/**
 * The SwapQueue's own book of positions for the caps (issue 10: no D1 read on the hot path). Every position
 * comes from an entry this queue filled and shrinks only by exits it filled, so the queue records both in the
 * same storage write as the fill, and the caps are judged from here. Positions opened before this book
 * existed are copied from D1 once (`seed`), the only D1 read it ever needs.
 */
export class QueueBook {
  /** When `seedCloses` was last tried by a book seeded without closes (memory: an eviction tries again). */
  closesSeedTriedAtMs = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS book (
      position_id TEXT PRIMARY KEY,
      entry_cost_usd REAL NOT NULL,
      entry_amount TEXT NOT NULL,
      current_amount TEXT NOT NULL,
      closed INTEGER NOT NULL DEFAULT 0
    )`);
    // For the WalletActors' decisions (src/pipeline/queue-facts.ts, issue 10): when a position closed (the
    // cooldown after an exit) and whose copy it is (a leader's SELL mirrors it). Added to books created
    // before them; a row from before keeps them null (its origin is then read from its entry order).
    for (const col of [
      "closed_at_ms INTEGER",
      "leader_address TEXT",
      "token_mint TEXT",
      "leader_block_time_ms INTEGER",
    ])
      try {
        sql.exec(`ALTER TABLE book ADD COLUMN ${col}`);
      } catch {
        // already there
      }
    // The facts of one mint and the open rows (caps) are read per decision: by index, not by scanning history.
    sql.exec("CREATE INDEX IF NOT EXISTS book_mint ON book (token_mint)");
    sql.exec("CREATE INDEX IF NOT EXISTS book_open ON book (closed)");
    // Each mint's latest close from before the book, copied from D1 once (`seedCloses`): the mint cooldown
    // then never needs D1 on the hot path, not even in the book's first 30 days.
    sql.exec("CREATE TABLE IF NOT EXISTS book_closes (token_mint TEXT PRIMARY KEY, closed_at_ms INTEGER NOT NULL)");
    sql.exec(
      "INSERT INTO meta (key, value) VALUES ('book_closes_since_ms', ?) ON CONFLICT(key) DO NOTHING",
      String(Date.now()),
    );
  }

  /** Since when every close is recorded with its time (closes before it are not known to the book). */
  closesSince(): number {
    const v = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'book_closes_since_ms'").one();
    return Number(v.value);
  }

  seeded(): boolean {
    return this.sql.exec("SELECT 1 FROM meta WHERE key = 'book_seeded'").toArray().length > 0;
  }

  /** Copies open positions from D1 (first use after an upgrade); positions already here are kept. */
  seed(rows: readonly ({ id: string } & ExposedPosition)[]) {
    for (const r of rows)
      this.sql.exec(
        `INSERT INTO book (position_id, entry_cost_usd, entry_amount, current_amount) VALUES (?, ?, ?, ?)
         ON CONFLICT(position_id) DO NOTHING`,
        r.id,
        r.entry_cost_usd,
        r.entry_amount,
        r.current_amount,
      );
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('book_seeded', ?) ON CONFLICT(key) DO NOTHING",
      String(rows.length),
    );
  }

  closesSeeded(): boolean {
    return this.sql.exec("SELECT 1 FROM meta WHERE key = 'book_closes_seeded'").toArray().length > 0;
  }

  /**
   * Copies D1's latest close per mint since `sinceMs` (the longest cooldown back): every close since then is
   * now known here, so `closesSince` moves back to it. Closes the book recorded itself are kept as they are.
   */
  seedCloses(rows: readonly { token_mint: string; closed_at_ms: number }[], sinceMs: number) {
    for (const r of rows)
      this.sql.exec(
        `INSERT INTO book_closes (token_mint, closed_at_ms) VALUES (?, ?)
         ON CONFLICT(token_mint) DO UPDATE SET closed_at_ms = MAX(closed_at_ms, excluded.closed_at_ms)`,
        r.token_mint,
        r.closed_at_ms,
      );
    this.sql.exec(
      "UPDATE meta SET value = CAST(MIN(CAST(value AS INTEGER), ?) AS TEXT) WHERE key = 'book_closes_since_ms'",
      sinceMs,
    );
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('book_closes_seeded', ?) ON CONFLICT(key) DO NOTHING",
      String(rows.length),
    );
  }

  /** The mint's latest close copied from D1 by `seedCloses` (null: none within the window, or not seeded). */
  seededCloseOf(mint: string): number | null {
    return (
      this.sql.exec<{ t: number }>("SELECT closed_at_ms AS t FROM book_closes WHERE token_mint = ?", mint).toArray()[0]
        ?.t ?? null
    );
  }

  /**
   * An entry filled: its position is in the book (call in the fill's storage transaction). `origin` names the
   * leader's trade it copies; without it, it is read from the entry order (`pos_<order_id>`) when needed.
   */
  opened(positionId: string, costUsd: number, amount: string, origin?: PositionOrigin) {
    this.sql.exec(
      `INSERT INTO book (position_id, entry_cost_usd, entry_amount, current_amount, leader_address, token_mint,
         leader_block_time_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(position_id) DO NOTHING`,
      positionId,
      costUsd,
      amount,
      amount,
      origin?.leader_address ?? null,
      origin?.token_mint ?? null,
      origin?.leader_block_time_ms ?? null,
    );
  }

  /** An exit filled: what remains shrinks; a full exit or nothing left closes it (in the fill's transaction). */
  sold(positionId: string, soldAmount: string, full: boolean) {
    const row = this.sql
      .exec<{ current_amount: string }>("SELECT current_amount FROM book WHERE position_id = ?", positionId)
      .toArray()[0];
    if (!row) return;
    const left = BigInt(row.current_amount) - BigInt(soldAmount);
    const rest = left > 0n ? left : 0n;
    const closes = full || rest === 0n;
    this.sql.exec(
      "UPDATE book SET current_amount = ?, closed = ?, closed_at_ms = CASE WHEN ? THEN COALESCE(closed_at_ms, ?) ELSE closed_at_ms END WHERE position_id = ?",
      rest.toString(),
      closes ? 1 : 0,
      closes ? 1 : 0,
      Date.now(),
      positionId,
    );
  }

  /** A position closed outside the queue (reconciliation's sold_externally): it no longer counts. Idempotent. */
  closedOutside(positionId: string) {
    this.sql.exec(
      "UPDATE book SET current_amount = '0', closed = 1, closed_at_ms = COALESCE(closed_at_ms, ?) WHERE position_id = ?",
      Date.now(),
      positionId,
    );
  }

  /** Open positions and the USD still at risk, by the one domain definition. */
  exposure(): { open_positions: number; exposure_usd: number } {
    const open = this.sql
      .exec<{ entry_cost_usd: number; entry_amount: string; current_amount: string }>(
        "SELECT entry_cost_usd, entry_amount, current_amount FROM book WHERE closed = 0",
      )
      .toArray();
    return bookExposure(open);
  }
}
