import type { PriceQuote } from "../domain/price";
import { log } from "../lib/logger";
import { dueSimulatedMints } from "./queue-storage";

/**
 * The prices of one SwapQueue run, in memory only (dropped when the run ends): the due simulated orders'
 * mints read in one PriceFeed round instead of one round per order, so a burst of entries fills one after
 * the other without waiting for the feed each time.
 */
export class RunPrices {
  private prices: Map<string, PriceQuote> | null = null;

  constructor(
    private readonly env: () => Env,
    private readonly sql: SqlStorage,
  ) {}

  /** Only with several due (a lone order reads its own); a failure only leaves each order to read its own. */
  async prefetch(limit: number): Promise<void> {
    const mints = dueSimulatedMints(this.sql, Date.now(), limit);
    if (mints.length < 2) return;
    try {
      const prices = await this.env().PRICE_FEED.getByName("default").getPrices(mints);
      this.prices = new Map(Object.entries(prices).filter((e): e is [string, PriceQuote] => e[1] != null));
    } catch (err) {
      log.warn("swap_price_prefetch_failed", { mints: mints.length, error: String(err) });
    }
  }

  /** The run is over: the next one reads the feed again. */
  clear(): void {
    this.prices = null;
  }

  /** A simulated order's market price: this run's prefetched one (at most a run old), else the feed's now. */
  async quoteOf(mint: string): Promise<PriceQuote | null> {
    const pre = this.prices?.get(mint);
    if (pre) return pre;
    return (await this.env().PRICE_FEED.getByName("default").getPrices([mint]))[mint] ?? null;
  }
}
