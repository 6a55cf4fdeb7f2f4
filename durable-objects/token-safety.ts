import { DurableObject } from "cloudflare:workers";
import { eq, gte } from "drizzle-orm";
import { getDb } from "../src/db/client";
import { tokens } from "../src/db/schema";
import {
  fetchSafetySources,
  isFresh,
  type Lookup,
  lookupFromSources,
  outcomeFromRow,
  outcomeOfLookup,
  type SafetyOutcome,
  type SafetyRow,
  type TokenValues,
  tokenRowUpsert,
} from "../src/db/token-safety";
import type { SafetyLookupConfig } from "../src/domain/safety";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { sharedWrite } from "../src/pipeline/shared-d1-write";
import { tokenSafetyShard } from "../src/pipeline/token-safety-shard";

/** Rows not looked at for this long are dropped: far past any TTL, kept only as a stale fallback. */
const KEEP_MS = 7 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

type Shared = Promise<{ lookup: Lookup | null; row: SafetyRow | null }>;

/**
 * TokenSafety: one of TOKEN_SAFETY_SHARDS objects (`tokenSafetyOf(env, mint)`), issue 10. Holds each of its
 * mints' last safety lookup in its own storage for `token_cache_ttl_seconds`, so a WalletActor's decision
 * reads no D1, and makes concurrent first looks at a mint single-flight: several leaders buying the same new
 * mint at once share ONE RugCheck / DexScreener lookup (the first caller starts it, the others await the same
 * promise). Each caller scores the shared inputs with its own config. D1's `tokens` row (the API's view of
 * the cache) is written behind the answer.
 */
export class TokenSafety extends DurableObject<Env> {
  private readonly inflight = new Map<string, Shared>();
  private prunedAtMs = 0;
  /** The takeover from D1 running now (`takeover`). */
  private importing: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    attachUpstreamHealth(env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS safety (mint TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at_ms INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /**
   * The takeover, once: D1's `tokens` safety rows are written by these objects only (each its own mints, after
   * every lookup), so the only D1 results this object lacks are its mints' from before it existed. Its first
   * look copies them (those of the last KEEP_MS, of its shard: the first mint's) into its storage, and no
   * later first look reads D1. Single-flight; a failure is tried again by the next first look.
   */
  private takeover(mint: string): Promise<void> {
    this.importing ??= this.importFromD1(tokenSafetyShard(mint)).finally(() => {
      this.importing = null;
    });
    return this.importing;
  }

  private takenOver(): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM meta WHERE key = 'taken_over'").toArray().length > 0;
  }

  private async importFromD1(shard: number): Promise<void> {
    try {
      const rows = await getDb(this.env.DB)
        .select()
        .from(tokens)
        .where(gte(tokens.safety_checked_at, nowIso(Date.now() - KEEP_MS)))
        .all();
      let copied = 0;
      for (const { mint_address, created_at: _c, ...values } of rows) {
        if (tokenSafetyShard(mint_address) !== shard) continue;
        // A result this object stored meanwhile is newer: kept.
        this.ctx.storage.sql.exec(
          "INSERT INTO safety (mint, value, stored_at_ms) VALUES (?, ?, ?) ON CONFLICT (mint) DO NOTHING",
          mint_address,
          JSON.stringify(values),
          Date.now(),
        );
        copied++;
      }
      this.ctx.storage.sql.exec(
        "INSERT INTO meta (key, value) VALUES ('taken_over', ?) ON CONFLICT(key) DO NOTHING",
        String(copied),
      );
    } catch (err) {
      log.warn("token_safety_d1_unavailable", { error: String(err) });
    }
  }

  private cached(mint: string): TokenValues | null {
    const row = this.ctx.storage.sql
      .exec<{ value: string }>("SELECT value FROM safety WHERE mint = ?", mint)
      .toArray()[0];
    return row ? (JSON.parse(row.value) as TokenValues) : null;
  }

  private store(mint: string, values: Partial<TokenValues>, nowMs: number) {
    this.ctx.storage.sql.exec(
      `INSERT INTO safety (mint, value, stored_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (mint) DO UPDATE SET value = excluded.value, stored_at_ms = excluded.stored_at_ms`,
      mint,
      JSON.stringify(values),
      nowMs,
    );
    if (nowMs - this.prunedAtMs < PRUNE_EVERY_MS) return;
    this.prunedAtMs = nowMs;
    this.ctx.storage.sql.exec("DELETE FROM safety WHERE stored_at_ms < ?", nowMs - KEEP_MS);
  }

  /** The mint's safety outcome under `config`: cached while fresh, else one shared upstream lookup. */
  async assess(mint: string, config: SafetyLookupConfig, nowMs: number = Date.now()): Promise<SafetyOutcome> {
    const row = this.cached(mint);
    if (row && isFresh(row, config, nowMs)) return outcomeFromRow(row, config, nowMs, "cache");
    // No await between the check and the set: every concurrent caller for this mint joins the same lookup.
    let shared = this.inflight.get(mint);
    if (!shared) {
      shared = this.refresh(mint, config, nowMs).finally(() => this.inflight.delete(mint));
      this.inflight.set(mint, shared);
    }
    const { lookup, row: known } = await shared;
    if (lookup === null) return outcomeFromRow(known as SafetyRow, config, nowMs, "cache");
    if (lookup.ok) return { ...outcomeFromRow(lookup.values, config, nowMs, "cache"), source: "upstream" };
    return outcomeOfLookup(mint, lookup, known, config, nowMs);
  }

  /**
   * The mint's decimals as last looked up (a WalletActor whose payload lacked them, safety check or not), or
   * null. Without a lookup here yet, D1's cached row is read once, as `refresh` would take it over.
   */
  async decimals(mint: string): Promise<number | null> {
    const row = this.cached(mint);
    if (row) return row.decimals ?? null;
    const d1 = await getDb(this.env.DB)
      .select({ decimals: tokens.decimals })
      .from(tokens)
      .where(eq(tokens.mint_address, mint))
      .get();
    return d1?.decimals ?? null;
  }

  private async refresh(mint: string, config: SafetyLookupConfig, nowMs: number) {
    let row: SafetyRow | null = this.cached(mint);
    const sources = fetchSafetySources(this.env, mint);
    if (!row && !this.takenOver()) {
      // A first look before the takeover: a result D1 already holds (cached before this object existed) is
      // taken over, but the decision never waits for D1 (issue 10): the upstream calls start at the same
      // time, and D1's result counts only if it comes first — fresh, it is the result; stale, it fills what
      // the lookup lacks.
      const fromD1 = this.takeover(mint).then(() => this.cached(mint));
      const d1 = await Promise.race([fromD1, sources.then(() => null)]);
      if (d1) {
        if (isFresh(d1, config, nowMs)) return { lookup: null, row: d1 as SafetyRow };
        row = d1 as SafetyRow;
      }
    }
    const lookup = lookupFromSources(await sources, mint, row as Partial<TokenValues> | null, config, nowMs);
    if (lookup.ok) {
      this.store(mint, lookup.values, nowMs);
      // Behind the answer, through the shared writer (batched with other actors' rows): D1's copy is a read
      // model; the next lookup rewrites it if this one fails.
      this.ctx.waitUntil(
        sharedWrite(this.env, [tokenRowUpsert(getDb(this.env.DB), mint, lookup.values)]).catch((err) =>
          log.warn("token_row_write_failed", { mint, error: String(err) }),
        ),
      );
    }
    return { lookup, row };
  }
}
