import { DurableObject } from "cloudflare:workers";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import type { PriceMap, PriceQuote, PriceSource } from "../src/domain/price";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { fetchDexTokensBatched } from "../src/upstream/dexscreener";
import { fetchJupiterPricesBatched } from "../src/upstream/jupiter";

/**
 * PriceFeed (singleton "default"): every price read of the system goes through here so that N positions
 * polling cost batched upstream calls, not N calls (DESIGN §4 "Adaptive polling").
 *
 * Coalescing: requests are collected into one batch. The batch is flushed when no new request arrived for
 * COLLECT_IDLE_MS, or COLLECT_MAX_MS after its first request; requests that arrive while a batch is in flight
 * join the next one. Each flush: Jupiter Price v3 (≤ 50 ids per call) → DexScreener (≤ 30 per call) for what
 * Jupiter failed or omitted → the last known price if not older than price_max_age_seconds → null.
 * The last upstream price per mint is kept in this object's SQLite, with its source and time.
 *
 * The timers make a batch's size depend on how fast requests arrive. Where the number of upstream calls
 * must not depend on speed (tests, benchmarks: "one round of N polls costs one call"), a caller holds the
 * flush (`holdFlush`), drives its requests, checks they all joined (`status().collecting_requests`), and
 * releases (`releaseFlush`): the held batch then goes as one round, however slowly it was collected.
 */
const COLLECT_IDLE_MS = 15;
// A held round is flushed after this at the latest, so a caller that never releases cannot stall prices.
const HOLD_MAX_MS = 60_000;
const COLLECT_MAX_MS = 150;
const CONFIG_TTL_MS = 30_000;
const DEFAULT_MAX_AGE_S = 300;

interface Waiter {
  mints: string[];
  resolve: (m: PriceMap) => void;
  reject: (e: unknown) => void;
}

interface Batch {
  mints: Set<string>;
  waiters: Waiter[];
  startedAt: number;
  idleTimer: ReturnType<typeof setTimeout> | null;
  maxTimer: ReturnType<typeof setTimeout> | null;
}

interface LastPrice {
  mint: string;
  price_usd: number;
  source: PriceSource;
  observed_at_ms: number;
}

export class PriceFeed extends DurableObject<Env> {
  private collecting: Batch | null = null;
  private inFlight: Promise<void> | null = null;
  private maxAge: { seconds: number; loadedAt: number } | null = null;
  private counters = { batches: 0, jupiter_errors: 0, dexscreener_errors: 0 };
  private held: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    attachUpstreamHealth(env); // upstream breaker state → D1 status (issue 12)
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS last_prices (
        mint TEXT PRIMARY KEY,
        price_usd REAL NOT NULL,
        source TEXT NOT NULL,
        observed_at_ms INTEGER NOT NULL
      )`);
    });
  }

  /** USD prices of many mints; per mint a quote with its source and age, or null = price unavailable. */
  async getPrices(mints: string[]): Promise<PriceMap> {
    if (!Array.isArray(mints) || mints.some((m) => typeof m !== "string" || m.length === 0 || m.length > 64))
      throw new TypeError("mints must be an array of non-empty mint addresses");
    const unique = [...new Set(mints)];
    if (unique.length === 0) return {};
    return new Promise<PriceMap>((resolve, reject) => {
      const batch = this.collectingBatch();
      for (const m of unique) batch.mints.add(m);
      batch.waiters.push({ mints: unique, resolve, reject });
      this.armFlush(batch);
    });
  }

  /**
   * Holds every flush until `releaseFlush()` (or HOLD_MAX_MS): requests keep joining the collecting batch.
   * In memory only, like the batch itself (an eviction drops both).
   */
  async holdFlush(): Promise<{ held: true }> {
    if (this.held) clearTimeout(this.held);
    this.held = setTimeout(() => this.releaseHeld(), HOLD_MAX_MS);
    return { held: true };
  }

  /** Ends a hold and sends the collected batch now, as one round. */
  async releaseFlush(): Promise<{ released: number }> {
    const waiting = this.collecting?.waiters.length ?? 0;
    this.releaseHeld();
    return { released: waiting };
  }

  private releaseHeld() {
    if (this.held) clearTimeout(this.held);
    this.held = null;
    if (this.collecting) this.flush(this.collecting);
  }

  /** The last known price per mint (source, observation time), for diagnostics. */
  async lastKnown(mints: string[]): Promise<Record<string, LastPrice | null>> {
    const out: Record<string, LastPrice | null> = {};
    for (const m of mints) out[m] = this.readLast(m);
    return out;
  }

  private collectingBatch(): Batch {
    if (!this.collecting)
      this.collecting = { mints: new Set(), waiters: [], startedAt: Date.now(), idleTimer: null, maxTimer: null };
    return this.collecting;
  }

  private armFlush(batch: Batch) {
    if (batch.idleTimer) clearTimeout(batch.idleTimer);
    batch.idleTimer = setTimeout(() => this.flush(batch), COLLECT_IDLE_MS);
    if (!batch.maxTimer) batch.maxTimer = setTimeout(() => this.flush(batch), COLLECT_MAX_MS);
  }

  private flush(batch: Batch) {
    if (this.collecting !== batch) return; // already flushed by the other timer
    if (this.held) return; // releaseHeld() flushes it
    if (batch.idleTimer) clearTimeout(batch.idleTimer);
    if (batch.maxTimer) clearTimeout(batch.maxTimer);
    if (this.inFlight) {
      // One upstream round at a time: this batch keeps collecting and goes when the current one ends.
      this.inFlight.finally(() => this.flush(batch));
      return;
    }
    this.collecting = null;
    this.inFlight = this.resolveBatch(batch).finally(() => {
      this.inFlight = null;
    });
  }

  private async resolveBatch(batch: Batch): Promise<void> {
    try {
      const prices = await this.fetchPrices([...batch.mints]);
      for (const w of batch.waiters) {
        const out: PriceMap = {};
        for (const m of w.mints) out[m] = prices[m] ?? null;
        w.resolve(out);
      }
    } catch (err) {
      for (const w of batch.waiters) w.reject(err);
    }
  }

  private async fetchPrices(mints: string[]): Promise<PriceMap> {
    this.counters.batches++;
    const now = Date.now();
    const found = new Map<string, { price: number; source: PriceSource }>();
    try {
      for (const [m, p] of await fetchJupiterPricesBatched(this.env, mints))
        found.set(m, { price: p, source: "jupiter" });
    } catch (err) {
      this.counters.jupiter_errors++;
      log.warn("price_fetch_failed", { service: "jupiter", mints: mints.length, error: String(err) });
    }
    const missing = mints.filter((m) => !found.has(m));
    if (missing.length > 0) {
      try {
        for (const [m, info] of await fetchDexTokensBatched(this.env, missing))
          if (info.price_usd != null) found.set(m, { price: info.price_usd, source: "dexscreener" });
      } catch (err) {
        this.counters.dexscreener_errors++;
        log.warn("price_fetch_failed", { service: "dexscreener", mints: missing.length, error: String(err) });
      }
    }
    const observed = nowIso(now);
    const out: PriceMap = {};
    for (const [m, f] of found) {
      this.ctx.storage.sql.exec(
        `INSERT INTO last_prices (mint, price_usd, source, observed_at_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT(mint) DO UPDATE SET price_usd = excluded.price_usd, source = excluded.source,
           observed_at_ms = excluded.observed_at_ms`,
        m,
        f.price,
        f.source,
        now,
      );
      out[m] = { mint: m, price_usd: f.price, source: f.source, observed_at: observed, age_seconds: 0 };
    }
    const stillMissing = mints.filter((m) => !found.has(m));
    if (stillMissing.length > 0) {
      const maxAge = await this.maxAgeSeconds();
      for (const m of stillMissing) out[m] = this.lastKnownQuote(m, now, maxAge);
    }
    return out;
  }

  private lastKnownQuote(mint: string, now: number, maxAgeSeconds: number): PriceQuote | null {
    const last = this.readLast(mint);
    if (!last) return null;
    const age = Math.max(0, Math.floor((now - last.observed_at_ms) / 1000));
    if (age > maxAgeSeconds) return null;
    return {
      mint,
      price_usd: last.price_usd,
      source: "last_known",
      observed_at: nowIso(last.observed_at_ms),
      age_seconds: age,
    };
  }

  private readLast(mint: string): LastPrice | null {
    const rows = this.ctx.storage.sql
      .exec<{ mint: string; price_usd: number; source: string; observed_at_ms: number }>(
        "SELECT mint, price_usd, source, observed_at_ms FROM last_prices WHERE mint = ?",
        mint,
      )
      .toArray();
    const r = rows[0];
    return r ? { ...r, source: r.source as PriceSource } : null;
  }

  /** price_max_age_seconds from the config, cached briefly (a flush must not cost a D1 read each time). */
  private async maxAgeSeconds(): Promise<number> {
    const now = Date.now();
    if (this.maxAge && now - this.maxAge.loadedAt < CONFIG_TTL_MS) return this.maxAge.seconds;
    try {
      const cfg = await loadConfig(getDb(this.env.DB));
      this.maxAge = { seconds: cfg.price_max_age_seconds, loadedAt: now };
    } catch (err) {
      log.warn("price_config_unavailable", { error: String(err) });
      return this.maxAge?.seconds ?? DEFAULT_MAX_AGE_S;
    }
    return this.maxAge.seconds;
  }

  /** Identity and health of this instance. */
  async status() {
    const tracked = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM last_prices").one().n;
    return {
      actor: "PriceFeed",
      id: this.ctx.id.toString(),
      name: this.ctx.id.name ?? null,
      tracked_mints: tracked,
      collecting: this.collecting?.mints.size ?? 0,
      collecting_requests: this.collecting?.waiters.length ?? 0,
      held: this.held !== null,
      in_flight: this.inFlight !== null,
      ...this.counters,
    };
  }
}
