import { DurableObject } from "cloudflare:workers";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import type { PriceMap, PriceQuote, PriceSource } from "../src/domain/price";
import { checkedMints, type FetchedPrice, lastKnownQuote, quoteOfFetch } from "../src/domain/price-quotes";
import {
  freeSlots,
  isFresh,
  type MintPolls,
  piggybackMints,
  pruneTracked,
  recordRequest,
  roundSlot,
} from "../src/domain/price-rounds";
import { checkedMaxAge, referenceUse } from "../src/domain/reference-price";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { type LastPrice, PriceFeedStore } from "../src/pipeline/price-feed-store";
import { type Batch, PriceRoundCollector, type Waiter } from "../src/pipeline/price-round-collector";
import { fetchDexTokensBatched } from "../src/upstream/dexscreener";
import { fetchJupiterPricesBatched, JUPITER_PRICE_MAX_IDS } from "../src/upstream/jupiter";

/**
 * PriceFeed (singleton "default"): every price read of the system goes through here so that N positions
 * polling cost batched upstream calls, not N calls (DESIGN §4 "Adaptive polling").
 *
 * Coalescing (src/pipeline/price-round-collector.ts): requests are collected into one batch, flushed after a
 * short idle window or a max window; requests that arrive while a batch is in flight join the next one. Each flush: Jupiter Price v3 (≤ 50 ids per call) → DexScreener (≤ 30 per call) for what
 * Jupiter failed or omitted → the last known price if not older than price_max_age_seconds → null.
 * The last upstream price per mint is kept in this object's SQLite, with its source and time.
 *
 * The timers make a batch's size depend on how fast requests arrive. Where the number of upstream calls
 * must not depend on speed (tests, benchmarks: "one round of N polls costs one call"), a caller holds the
 * flush (`holdFlush`), drives its requests, checks they all joined (`status().collecting_requests`), and
 * releases (`releaseFlush`): the held batch then goes as one round, however slowly it was collected.
 *
 * Rounds (src/domain/price-rounds.ts): positions poll on their own alarms, so one round's polls arrive spread
 * over seconds, not in one coalescing window. Each flush fills the free ids of its Jupiter calls with the
 * tracked mints due to poll next, and the next request for such a mint, if it comes within FRESH_MS, is
 * answered from that fetch (once, with its real observation time and age): N polling positions cost ⌈N/50⌉
 * calls per round. A price a caller asked for is never reused for another request: a reused price is only
 * one fetched ahead for the poll it was predicted for.
 */
const CONFIG_TTL_MS = 30_000;
const DEFAULT_MAX_AGE_S = 300;
const DEFAULT_POLL_MS = 20_000;

/** How often the status counters reach SQLite (see `bump`). */
const COUNTERS_WRITE_MS = 1_000;

export class PriceFeed extends DurableObject<Env> {
  private readonly rounds = new PriceRoundCollector((batch) => this.resolveBatch(batch));
  private readonly store: PriceFeedStore;
  private maxAge: { seconds: number; loadedAt: number } | null = null;
  private counters = {
    batches: 0,
    jupiter_errors: 0,
    dexscreener_errors: 0,
    /** getPrices calls, mints asked in them, and mints answered from a fresh fetch without a call. */
    requests: 0,
    mints_requested: 0,
    served_fresh: 0,
    /** Mints added to a round's free Jupiter ids. */
    piggybacked: 0,
    /** Mints read ahead of an entry's fill (readAhead), and those a request then took from it. */
    read_ahead: 0,
    /** Mints answered as reference prices (a request with max_age_ms) from their last fetch, no round. */
    served_reference: 0,
  };
  /** Request history per mint (to predict the next polls) and this round's upstream fetches; in memory. */
  private tracked = new Map<string, MintPolls>();
  private piggybacked = new Map<string, FetchedPrice>();
  /**
   * Piggybacked mints Jupiter answered without a price, by fetch time: left out of the next rounds' free ids
   * for FRESH_MS (as a priced one is), so an unpriced mint is not asked again on every call of its window.
   */
  private unpriced = new Map<string, number>();
  /**
   * The last upstream fetch of the mints asked as reference prices (in practice SOL), mirroring their
   * last_prices rows: a reference request is answered without a SQLite read. Only mints once asked that way
   * are kept, so it stays as small as the set of reference mints.
   */
  private references = new Map<string, FetchedPrice>();
  private pollDefaultMs: number | null = null;
  private countersTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    attachUpstreamHealth(env); // upstream breaker state → D1 status (issue 12)
    this.store = new PriceFeedStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.store.createTables();
      for (const [m, polls] of this.store.pollHistory()) this.tracked.set(m, polls);
      for (const r of this.store.counters())
        if (r.name in this.counters) this.counters[r.name as keyof typeof this.counters] = r.n;
    });
  }

  /**
   * USD prices of many mints; per mint a quote with its source and age, or null = price unavailable. With
   * `max_age_ms` the caller takes a reference price (src/domain/reference-price.ts): a mint fetched that
   * recently is answered from that fetch at once, with its real age, and refreshed behind past half the age.
   */
  async getPrices(mints: string[], opts?: { max_age_ms?: number }): Promise<PriceMap> {
    const unique = [...new Set(checkedMints(mints))];
    const maxAge = checkedMaxAge(opts);
    if (unique.length === 0) return {};
    if (maxAge === null) return this.ask(unique);
    const now = this.now();
    const out: PriceMap = {};
    const rest: string[] = [];
    const refresh: string[] = [];
    for (const m of unique) {
      const f = this.reference(m);
      const use = referenceUse(f?.at_ms, now, maxAge);
      if (use === "ask" || !f) {
        rest.push(m);
        continue;
      }
      out[m] = quoteOfFetch(m, f, now);
      if (use === "serve_and_refresh") refresh.push(m);
    }
    this.bump("served_reference", unique.length - rest.length);
    if (refresh.length > 0) await this.readAhead(refresh);
    return rest.length === 0 ? out : { ...out, ...(await this.ask(rest)) };
  }

  /** The last upstream fetch of a reference mint: memory, else its last_prices row (kept from then on). */
  private reference(mint: string): FetchedPrice | undefined {
    const known = this.references.get(mint);
    if (known) return known;
    const last = this.store.readLast(mint);
    if (last?.source !== "jupiter" && last?.source !== "dexscreener") return undefined;
    const f = { price_usd: last.price_usd, source: last.source, at_ms: last.observed_at_ms };
    this.references.set(mint, f);
    return f;
  }

  /** Prices asked for now: a fresh piggybacked or read-ahead fetch once, else the collecting round. */
  private async ask(unique: string[]): Promise<PriceMap> {
    const now = this.now();
    this.bump("requests", 1);
    this.bump("mints_requested", unique.length);
    for (const m of unique) {
      const prev = this.tracked.get(m);
      const next = recordRequest(prev, now);
      if (next === prev) continue;
      this.tracked.set(m, next);
      this.store.savePolls(m, next);
    }
    const out: PriceMap = {};
    let ask: string[] = [];
    for (const m of unique) {
      const q = this.freshQuote(m, now);
      if (q) out[m] = q;
      else ask.push(m);
    }
    // A mint the round in flight is fetching (piggybacked or read ahead): wait for that round rather than asking
    // again. A mint read ahead into the batch still collecting simply joins that batch below.
    if (ask.some((m) => this.rounds.inFlightExtra.has(m)) && this.rounds.inFlight) {
      await this.rounds.inFlight.catch(() => undefined);
      const after = this.now();
      ask = ask.filter((m) => {
        const q = this.freshQuote(m, after);
        if (q) out[m] = q;
        return !q;
      });
    }
    this.bump("served_fresh", unique.length - ask.length);
    if (ask.length === 0) return out;
    const asked = await new Promise<PriceMap>((resolve, reject) => {
      const batch = this.rounds.batch();
      // The idle window waits for more mints: a request that adds none (its mints read ahead, or asked by
      // another request of the round) does not hold the round longer — the fill of a read-ahead price waited
      // a whole extra window for nothing (issue 10).
      const adds = ask.some((m) => !batch.mints.has(m));
      for (const m of ask) batch.mints.add(m);
      batch.waiters.push({ mints: ask, resolve, reject });
      if (adds || !batch.idleTimer) this.rounds.arm(batch);
    });
    return { ...out, ...asked };
  }

  /**
   * Starts fetching prices a request will ask for shortly (issue 10: the WalletActor reads its entry's price
   * ahead while the safety lookup and the queue run, so the simulated fill finds it fetched). Joins the
   * collecting round like any request and answers at once without waiting for it; the price is then kept as a
   * one-shot fresh price (as a piggybacked one: FRESH_MS, served to one request) unless a request in the same
   * round already took it. Not a poll: it does not feed the poll predictions.
   */
  async readAhead(mints: string[]): Promise<{ reading: number }> {
    const now = this.now();
    const ask = [...new Set(checkedMints(mints))].filter(
      (m) => !this.rounds.collecting?.mints.has(m) && !this.rounds.inFlightExtra.has(m) && !this.hasFresh(m, now),
    );
    if (ask.length === 0) return { reading: 0 };
    this.bump("read_ahead", ask.length);
    const batch = this.rounds.batch();
    for (const m of ask) batch.mints.add(m);
    const waiter: Waiter = {
      mints: ask,
      ahead: true,
      resolve: (out) => {
        for (const m of ask) {
          const q = out[m];
          // Only a price fetched in this round (not a last-known fallback), and not one another request took.
          const taken = batch.waiters.some((w) => w !== waiter && w.mints.includes(m));
          if (q && q.age_seconds === 0 && !taken)
            this.piggybacked.set(m, { price_usd: q.price_usd, source: q.source, at_ms: Date.parse(q.observed_at) });
        }
      },
      reject: () => undefined, // the request that needs the price asks again
    };
    batch.waiters.push(waiter);
    this.rounds.arm(batch);
    return { reading: ask.length };
  }

  private hasFresh(mint: string, now: number): boolean {
    const f = this.piggybacked.get(mint);
    return f !== undefined && isFresh(f.at_ms, now);
  }

  /**
   * A position just opened asks when to poll first (every `intervalMs` afterwards): at the round's next
   * polls if one is due within its interval, so its first poll rides in the round's Jupiter calls instead of
   * costing one of its own (and every later poll stays in phase with the round). The answer is also this
   * mint's prediction, so the round's call carries its price. Returns the delay from now.
   */
  async joinRound(mint: string, intervalMs: number): Promise<{ delay_ms: number }> {
    if (typeof mint !== "string" || mint.length === 0 || mint.length > 64) throw new TypeError("mint");
    if (!(Number.isFinite(intervalMs) && intervalMs >= 1_000)) throw new TypeError("intervalMs");
    const now = this.now();
    const slot =
      roundSlot({ tracked: this.tracked, now, intervalMs, defaultIntervalMs: this.defaultPollMs(), exclude: mint }) ??
      now + intervalMs;
    const next: MintPolls = { last_request_ms: slot - intervalMs, interval_ms: intervalMs };
    this.tracked.set(mint, next);
    this.store.savePolls(mint, next);
    return { delay_ms: slot - now };
  }

  /**
   * Counts in memory; written to this object's SQLite at most once a second (COUNTERS_WRITE_MS), so an eviction
   * keeps all but the last second's counts. They are diagnostics for status: a SQLite write on every price
   * request was a measurable share of the hot path's CPU (issue 10).
   */
  private bump(name: keyof PriceFeed["counters"], by: number) {
    if (by === 0) return;
    this.counters[name] += by;
    this.countersTimer ??= setTimeout(() => this.writeCounters(), COUNTERS_WRITE_MS);
  }

  private writeCounters() {
    this.countersTimer = null;
    this.store.writeCounters(this.counters);
  }

  /** The clock (a seam: tests fix it so that freshness never depends on how fast a machine runs). */
  protected now(): number {
    return Date.now();
  }

  /** The price piggybacked for this mint's poll if ≤ FRESH_MS old, consumed (answers one request), or null. */
  private freshQuote(mint: string, now: number): PriceQuote | null {
    const f = this.piggybacked.get(mint);
    if (!f || !isFresh(f.at_ms, now)) return null;
    this.piggybacked.delete(mint);
    return quoteOfFetch(mint, f, now);
  }

  /**
   * Holds every flush until `releaseFlush()` (or HOLD_MAX_MS): requests keep joining the collecting batch.
   * In memory only, like the batch itself (an eviction drops both).
   */
  async holdFlush(): Promise<{ held: true }> {
    this.rounds.hold();
    return { held: true };
  }

  /** Ends a hold and sends the collected batch now, as one round. */
  async releaseFlush(): Promise<{ released: number }> {
    return { released: this.rounds.release() };
  }

  /** The last known price per mint (source, observation time), for diagnostics. */
  async lastKnown(mints: string[]): Promise<Record<string, LastPrice | null>> {
    const out: Record<string, LastPrice | null> = {};
    for (const m of mints) out[m] = this.store.readLast(m);
    return out;
  }

  private async resolveBatch(batch: Batch): Promise<void> {
    try {
      const asked = [...batch.mints];
      const extra = this.piggyback(batch.mints);
      for (const m of extra) this.rounds.inFlightExtra.add(m);
      for (const w of batch.waiters) if (w.ahead) for (const m of w.mints) this.rounds.inFlightExtra.add(m);
      const prices = await this.fetchPrices(asked, extra);
      for (const w of batch.waiters) {
        const out: PriceMap = {};
        for (const m of w.mints) out[m] = prices[m] ?? null;
        w.resolve(out);
      }
    } catch (err) {
      for (const w of batch.waiters) w.reject(err);
    }
  }

  /** The due mints that fit in the free ids of the calls `asked` costs anyway (never an extra call). */
  private piggyback(asked: ReadonlySet<string>): string[] {
    const slots = freeSlots(asked.size, JUPITER_PRICE_MAX_IDS);
    const now = this.now();
    for (const m of pruneTracked(this.tracked, now)) this.store.forgetPolls(m);
    for (const [m, f] of this.piggybacked) if (!isFresh(f.at_ms, now)) this.piggybacked.delete(m);
    for (const [m, at] of this.unpriced) if (!isFresh(at, now)) this.unpriced.delete(m);
    if (slots === 0 || this.tracked.size <= asked.size) return [];
    const extra = piggybackMints({
      tracked: this.tracked,
      fetchedAt: (m) => this.piggybacked.get(m)?.at_ms ?? this.unpriced.get(m),
      exclude: asked,
      now,
      slots,
      defaultIntervalMs: this.defaultPollMs(),
    });
    this.bump("piggybacked", extra.length);
    return extra;
  }

  /**
   * Fetches `asked` (Jupiter → DexScreener → last known) and, in the same Jupiter calls, `extra` (piggybacked:
   * kept for the polls due next when Jupiter prices them, no fallback spent on them). Answers `asked` only.
   */
  private async fetchPrices(mints: string[], extra: string[] = []): Promise<PriceMap> {
    this.bump("batches", 1);
    const now = this.now();
    const found = new Map<string, { price: number; source: PriceSource }>();
    const asked = new Set(mints);
    try {
      const priced = await fetchJupiterPricesBatched(this.env, [...mints, ...extra]);
      for (const [m, p] of priced) {
        if (asked.has(m)) found.set(m, { price: p, source: "jupiter" });
        else this.remember(m, p, "jupiter", now);
      }
      // Answered without a price: not asked again in its window (its own poll still gets the fallbacks).
      for (const m of extra) if (!priced.has(m)) this.unpriced.set(m, now);
    } catch (err) {
      this.bump("jupiter_errors", 1);
      log.warn("price_fetch_failed", { service: "jupiter", mints: mints.length, error: String(err) });
    }
    const missing = mints.filter((m) => !found.has(m));
    if (missing.length > 0) {
      try {
        for (const [m, info] of await fetchDexTokensBatched(this.env, missing))
          if (info.price_usd != null) found.set(m, { price: info.price_usd, source: "dexscreener" });
      } catch (err) {
        this.bump("dexscreener_errors", 1);
        log.warn("price_fetch_failed", { service: "dexscreener", mints: missing.length, error: String(err) });
      }
    }
    const observed = nowIso(now);
    const out: PriceMap = {};
    for (const [m, f] of found) {
      this.storeLast(m, f.price, f.source, now);
      out[m] = { mint: m, price_usd: f.price, source: f.source, observed_at: observed, age_seconds: 0 };
    }
    const stillMissing = mints.filter((m) => !found.has(m));
    if (stillMissing.length > 0) {
      const maxAge = await this.maxAgeSeconds();
      for (const m of stillMissing) out[m] = lastKnownQuote(m, this.store.readLast(m), now, maxAge);
    }
    return out;
  }

  /** A piggybacked price: kept for the poll it was fetched for, and as the last known price. */
  private remember(mint: string, price: number, source: PriceSource, now: number) {
    this.piggybacked.set(mint, { price_usd: price, source, at_ms: now });
    this.storeLast(mint, price, source, now);
  }

  /** An upstream fetch: the mint's last known price (SQLite) and, for a reference mint, its memory copy. */
  private storeLast(mint: string, price: number, source: PriceSource, now: number) {
    if (this.references.has(mint)) this.references.set(mint, { price_usd: price, source, at_ms: now });
    this.store.storeLast(mint, price, source, now);
  }

  /** price_max_age_seconds from the config, cached briefly (a flush must not cost a D1 read each time). */
  private async maxAgeSeconds(): Promise<number> {
    const now = Date.now();
    if (this.maxAge && now - this.maxAge.loadedAt < CONFIG_TTL_MS) return this.maxAge.seconds;
    try {
      const cfg = await loadConfig(getDb(this.env.DB));
      this.maxAge = { seconds: cfg.price_max_age_seconds, loadedAt: now };
      this.pollDefaultMs = cfg.poll_urgent_seconds * 1000;
    } catch (err) {
      log.warn("price_config_unavailable", { error: String(err) });
      return this.maxAge?.seconds ?? DEFAULT_MAX_AGE_S;
    }
    return this.maxAge.seconds;
  }

  /**
   * The shortest poll interval (config), the prediction for a mint seen once. Never awaited on a flush: a fill
   * or a poll must not wait for D1; the cached config refreshes behind (same read as price_max_age_seconds).
   */
  private defaultPollMs(): number {
    if (!this.maxAge || Date.now() - this.maxAge.loadedAt >= CONFIG_TTL_MS) this.ctx.waitUntil(this.maxAgeSeconds());
    return this.pollDefaultMs ?? DEFAULT_POLL_MS;
  }

  /** Identity and health of this instance. */
  async status() {
    const tracked = this.store.lastPriceCount();
    return {
      actor: "PriceFeed",
      id: this.ctx.id.toString(),
      name: this.ctx.id.name ?? null,
      tracked_mints: tracked,
      collecting: this.rounds.collecting?.mints.size ?? 0,
      collecting_requests: this.rounds.collecting?.waiters.length ?? 0,
      held: this.rounds.isHeld,
      in_flight: this.rounds.inFlight !== null,
      tracked_polling_mints: this.tracked.size,
      ...this.counters,
    };
  }
}
