import type { PriceSource } from "../domain/price";
import type { MintPolls } from "../domain/price-rounds";

/** A mint's last upstream price, as the PriceFeed keeps it. */
export interface LastPrice {
  mint: string;
  price_usd: number;
  source: PriceSource;
  observed_at_ms: number;
}

/**
 * The PriceFeed's own SQLite: the last upstream price per mint, the request history that predicts the next
 * polls, and the status counters (what survives an eviction between two rounds). The rounds, their timers and
 * the prices fetched ahead stay in the actor's memory.
 */
export class PriceFeedStore {
  constructor(private readonly sql: SqlStorage) {}

  createTables() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS last_prices (
      mint TEXT PRIMARY KEY,
      price_usd REAL NOT NULL,
      source TEXT NOT NULL,
      observed_at_ms INTEGER NOT NULL
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS poll_history (
      mint TEXT PRIMARY KEY,
      last_request_ms INTEGER NOT NULL,
      interval_ms INTEGER
    )`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  }

  pollHistory(): Map<string, MintPolls> {
    const out = new Map<string, MintPolls>();
    for (const r of this.sql
      .exec<{ mint: string; last_request_ms: number; interval_ms: number | null }>("SELECT * FROM poll_history")
      .toArray())
      out.set(r.mint, { last_request_ms: r.last_request_ms, interval_ms: r.interval_ms });
    return out;
  }

  savePolls(mint: string, polls: MintPolls) {
    this.sql.exec(
      `INSERT INTO poll_history (mint, last_request_ms, interval_ms) VALUES (?, ?, ?)
       ON CONFLICT(mint) DO UPDATE SET last_request_ms = excluded.last_request_ms, interval_ms = excluded.interval_ms`,
      mint,
      polls.last_request_ms,
      polls.interval_ms,
    );
  }

  forgetPolls(mint: string) {
    this.sql.exec("DELETE FROM poll_history WHERE mint = ?", mint);
  }

  counters(): { name: string; n: number }[] {
    return this.sql.exec<{ name: string; n: number }>("SELECT name, n FROM counters").toArray();
  }

  writeCounters(counters: Record<string, number>) {
    for (const [name, n] of Object.entries(counters))
      this.sql.exec(
        "INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = excluded.n",
        name,
        n,
      );
  }

  storeLast(mint: string, price: number, source: PriceSource, now: number) {
    this.sql.exec(
      `INSERT INTO last_prices (mint, price_usd, source, observed_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT(mint) DO UPDATE SET price_usd = excluded.price_usd, source = excluded.source,
         observed_at_ms = excluded.observed_at_ms`,
      mint,
      price,
      source,
      now,
    );
  }

  readLast(mint: string): LastPrice | null {
    const r = this.sql
      .exec<{ mint: string; price_usd: number; source: string; observed_at_ms: number }>(
        "SELECT mint, price_usd, source, observed_at_ms FROM last_prices WHERE mint = ?",
        mint,
      )
      .toArray()[0];
    return r ? { ...r, source: r.source as PriceSource } : null;
  }

  lastPriceCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM last_prices").one().n;
  }
}
