import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import { breakerState } from "../src/db/circuit-breaker";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { isConstraintError } from "../src/db/constraint-error";
import { alarmHeartbeat } from "../src/db/heartbeats";
import { positions, signals, wallets } from "../src/db/schema";
import { assessTokenSafety } from "../src/db/token-safety";
import { type Classification, classify, uiToBase, withSolPrice } from "../src/domain/classify";
import type { Config } from "../src/domain/config";
import { checkCopyRules, checkExposure, effectiveCopyRules } from "../src/domain/copy-rules";
import { type HeliusTx, HeliusTxSchema } from "../src/domain/helius-tx";
import { WSOL_MINT } from "../src/domain/price";
import { FILTER_REASONS, type FilterReason, isStale } from "../src/domain/signal-filters";
import { sizeEntry } from "../src/domain/sizing";
import type { EnqueueResult, MirrorExitRequest, MirrorExitResult, SwapRequest } from "../src/domain/swap-order";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { getTokenAccounts, TOKEN_PROGRAMS } from "../src/upstream/solana-rpc";

/** What the webhook route knows about the watched wallet when it hands a delivery over. */
export interface WalletSnapshot {
  id: number;
  address: string;
  is_active: boolean;
}

export interface IngestItem {
  signature: string;
  /** The enhanced transaction exactly as delivered (stored verbatim as the signal's raw_payload). */
  payload: unknown;
}

export interface IngestResult {
  signature: string;
  status: "accepted" | "duplicate";
}

/** Retry state of one inbox row, exposed for operators and tests. */
export interface InboxRow {
  signature: string;
  state: "received" | "recorded" | "done";
  signal_id: number | null;
  signal_type: string | null;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  decision: EntryDecision | ExitDecision | null;
}

/** An entry decided once (gates passed, size fixed) and kept, so an enqueue retry sends the same order. */
export interface EntryDecision {
  kind: "entry";
  request: SwapRequest;
}
/** A mirror exit decided once; `done` lists the positions whose actor already took it. */
export interface ExitDecision {
  kind: "exit";
  fraction: number;
  leader_balance_before: string | null;
  position_ids: string[];
  done: string[];
  order_id: string | null;
}

type Row = {
  signature: string;
  payload: string;
  received_at_ms: number;
  wallet_id: number | null;
  wallet_active: number;
  state: InboxRow["state"];
  signal_id: number | null;
  signal_type: string | null;
  decision: string | null;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
};

/** Time the webhook hand-off may spend writing signal rows before it answers (Helius wants a 200 within 1 s). */
const INGEST_RECORD_BUDGET_MS = 250;
/** Done inbox rows are kept this long for dedupe; beyond it the unique signature in D1 still dedupes. */
const INBOX_RETENTION_MS = 7 * 86_400_000;
const backoffMs = (attempts: number) => Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));

/**
 * WalletActor: one per watched address (DESIGN §1). The webhook hands it transactions; it persists them in
 * its SQLite inbox (signature PRIMARY KEY: a redelivered or concurrent duplicate is detected atomically,
 * before any await), records the signal row in D1, and answers — the route acks Helius only then. The heavy
 * part (breaker, copy rules, token safety, sizing, SwapQueue / PositionActor calls) runs in the alarm after
 * the ack. The alarm is idempotent (each step is keyed by the signature / signal id, the entry decision is
 * stored before the enqueue), retries failures with backoff, and re-arms itself in `finally`.
 */
export class WalletActor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    attachUpstreamHealth(env); // upstream breaker state → D1 status (issue 12)
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS inbox (
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
      ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS inbox_due ON inbox (state, next_attempt_ms)");
    });
  }

  private get db() {
    return getDb(this.env.DB);
  }

  private address(): string | null {
    const row = this.ctx.storage.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'address'")
      .toArray()[0];
    return row?.value ?? null;
  }

  /**
   * Persists the transactions (duplicates detected by signature) and records their signals. Resolves only
   * once every accepted item is in this object's durable storage, so the route can ack Helius.
   */
  async ingest(wallet: WalletSnapshot, items: IngestItem[], receivedAtMs: number): Promise<IngestResult[]> {
    const sqlx = this.ctx.storage.sql;
    const known = this.address();
    if (known && known !== wallet.address) throw new Error(`WalletActor of ${known} got items for ${wallet.address}`);
    if (!known) sqlx.exec("INSERT INTO meta (key, value) VALUES ('address', ?)", wallet.address);
    // All inserts happen before the first await: no other call can interleave between check and write.
    const results: IngestResult[] = items.map((item) => {
      const cur = sqlx.exec(
        `INSERT INTO inbox (signature, payload, received_at_ms, wallet_id, wallet_active, next_attempt_ms)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (signature) DO NOTHING`,
        item.signature,
        JSON.stringify(item.payload),
        receivedAtMs,
        wallet.id,
        wallet.is_active ? 1 : 0,
        receivedAtMs,
      );
      return { signature: item.signature, status: cur.rowsWritten > 0 ? "accepted" : "duplicate" };
    });
    const accepted = results.filter((r) => r.status === "accepted").map((r) => r.signature);
    // Armed on duplicates too while work is pending: a redelivery repairs a hand-off that failed after
    // persisting but before arming.
    const pending = sqlx.exec("SELECT 1 FROM inbox WHERE state != 'done' LIMIT 1").toArray().length > 0;
    if (pending) await this.armAlarm(Date.now());
    if (accepted.length === 0) return results;
    // Recording the signal rows now makes them visible at once, within a time budget so that a large
    // delivery still acks fast; what is left, or fails here, is recorded by the alarm.
    const budgetEnd = Date.now() + INGEST_RECORD_BUDGET_MS;
    try {
      const config = await loadConfig(this.db);
      for (const signature of accepted) {
        if (Date.now() > budgetEnd) break;
        const row = this.row(signature);
        if (row?.state === "received") await this.record(row, config);
      }
    } catch (err) {
      log.warn("signal_record_deferred", { wallet: wallet.address, error: errMessage(err) });
    }
    return results;
  }

  /** The inbox rows (newest first), for tests and diagnostics. */
  async inbox(limit = 100): Promise<InboxRow[]> {
    return this.ctx.storage.sql
      .exec<Row>("SELECT * FROM inbox ORDER BY received_at_ms DESC, signature LIMIT ?", limit)
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

  /**
   * The backfill cursor (src/jobs/backfill.ts): the newest on-chain signature of this wallet below which the
   * backfill has resolved everything. Kept here, beside the inbox, rather than in a D1 column.
   */
  async backfillCursor(): Promise<string | null> {
    const row = this.ctx.storage.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'backfill_cursor'")
      .toArray()[0];
    return row?.value ?? null;
  }

  async setBackfillCursor(signature: string): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('backfill_cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      signature,
    );
  }

  override async alarm(): Promise<void> {
    // A failure outside any one row (D1 unreachable for the config) backs the whole alarm off.
    let minDelay = 50;
    const startedAt = Date.now();
    let failure: string | null = null;
    try {
      await this.processDue(Date.now());
    } catch (err) {
      minDelay = 5000;
      failure = errMessage(err);
      log.warn("wallet_actor_alarm_failed", { address: this.address(), error: errMessage(err) });
    } finally {
      const next = this.ctx.storage.sql
        .exec<{ t: number | null }>("SELECT MIN(next_attempt_ms) AS t FROM inbox WHERE state != 'done'")
        .toArray()[0]?.t;
      if (next != null) await this.ctx.storage.setAlarm(Math.max(next, Date.now() + minDelay));
      await alarmHeartbeat(this.env.DB, "wallet_actor", {
        startedAt,
        outcome: failure ? "error" : "ok",
        error: failure,
      });
    }
  }

  private async armAlarm(at: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private row(signature: string): Row | undefined {
    return this.ctx.storage.sql.exec<Row>("SELECT * FROM inbox WHERE signature = ?", signature).toArray()[0];
  }

  private async processDue(now: number) {
    const sqlx = this.ctx.storage.sql;
    sqlx.exec("DELETE FROM inbox WHERE state = 'done' AND received_at_ms < ?", now - INBOX_RETENTION_MS);
    const due = sqlx
      .exec<Row>("SELECT * FROM inbox WHERE state != 'done' AND next_attempt_ms <= ? ORDER BY rowid LIMIT 50", now)
      .toArray();
    if (due.length === 0) return;
    const config = await loadConfig(this.db);
    // One at a time and in arrival order: a leader's buy is decided before its next buy of the same mint.
    for (const r of due) {
      try {
        let row: Row | undefined = r;
        if (row.state === "received") {
          await this.record(row, config);
          row = this.row(r.signature);
        }
        if (row?.state !== "recorded") continue;
        if (row.signal_type === "buy") await this.processBuy(row, config);
        else if (row.signal_type === "sell") await this.processSell(row);
        else this.setState(row.signature, "done");
      } catch (err) {
        this.failed(r, err, now);
      }
    }
  }

  private failed(r: Row, err: unknown, now: number) {
    const attempts = r.attempts + 1;
    const error = errMessage(err);
    log.warn("wallet_actor_step_failed", { signature: r.signature, attempts, error });
    this.ctx.storage.sql.exec(
      "UPDATE inbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE signature = ?",
      attempts,
      now + backoffMs(attempts),
      error.slice(0, 500),
      r.signature,
    );
  }

  private setState(signature: string, state: Row["state"], extra: { signal_id?: number; signal_type?: string } = {}) {
    this.ctx.storage.sql.exec(
      "UPDATE inbox SET state = ?, signal_id = COALESCE(?, signal_id), signal_type = COALESCE(?, signal_type), last_error = NULL WHERE signature = ?",
      state,
      extra.signal_id ?? null,
      extra.signal_type ?? null,
      signature,
    );
  }

  private saveDecision(signature: string, decision: EntryDecision | ExitDecision) {
    this.ctx.storage.sql.exec("UPDATE inbox SET decision = ? WHERE signature = ?", JSON.stringify(decision), signature);
  }

  /** Classifies the transaction and writes its signal row (idempotent: the signature is unique in D1). */
  private async record(row: Row, config: Config) {
    const address = this.address() as string;
    const raw: unknown = JSON.parse(row.payload);
    const parsed = HeliusTxSchema.safeParse(raw);
    const tx: HeliusTx | null = parsed.success ? parsed.data : null;
    const c: Classification | null = tx ? classify(tx, address) : null;
    let filter: FilterReason | null = null;
    if (!c) filter = "not_a_trade";
    else if (c.signal_type === "other") filter = c.other_reason;
    // An inactive leader is not copied any more, but its exits still protect what was copied from it
    // (DESIGN §4: exits always run): a SELL goes on to the mirror exit and is filtered only without a position.
    else if (!row.wallet_active && c.signal_type === "buy") filter = "inactive_wallet";
    else if (c.signal_type === "buy" && tx && isStale(tx.timestamp, row.received_at_ms, config.max_signal_age_seconds))
      filter = "stale_signal";
    const now = Date.now();
    const receivedIso = nowIso(row.received_at_ms);
    const priced = c ? withSolPrice(c, null) : null;
    const values = {
      transaction_signature: row.signature,
      wallet_id: row.wallet_id,
      wallet_address: address,
      signal_type: c?.signal_type ?? "other",
      token_mint: c?.token_mint ?? null,
      quote_mint: c?.quote_mint ?? null,
      token_amount: c?.token_amount ?? null,
      token_decimals: c?.token_decimals ?? null,
      quote_amount: c?.quote_amount ?? null,
      sol_amount: priced?.sol_amount ?? null,
      usd_amount: priced?.usd_amount ?? null,
      price_sol: priced?.price_sol ?? null,
      price_usd: priced?.price_usd ?? null,
      helius_type: tx?.type ?? null,
      helius_source: tx?.source ?? null,
      slot: tx?.slot ?? null,
      block_time: tx ? nowIso(tx.timestamp * 1000) : null,
      filtered: filter !== null,
      filter_reason: filter,
      webhook_received_at: receivedIso,
      processed_at: filter ? nowIso(now) : null,
      processing_duration_ms: filter ? now - row.received_at_ms : null,
      raw_payload: row.payload,
    };
    const write = (v: typeof values) =>
      this.db.batch([
        this.db
          .insert(signals)
          .values(v)
          .onConflictDoNothing({ target: signals.transaction_signature })
          .returning({ id: signals.id }),
        ...(v.wallet_id === null
          ? []
          : [
              this.db
                .update(wallets)
                .set({ last_signal_at: receivedIso })
                .where(
                  and(
                    eq(wallets.id, v.wallet_id),
                    sql`(${wallets.last_signal_at} IS NULL OR ${wallets.last_signal_at} < ${receivedIso})`,
                  ),
                ),
            ]),
      ]);
    let inserted: unknown;
    try {
      [inserted] = await write(values);
    } catch (err) {
      // The wallet row was deleted after the delivery (possible only while it had no signal): keep the
      // signal without the reference rather than retrying forever, and never copy it.
      if (!isConstraintError(err, "FOREIGN KEY")) throw err;
      if (values.signal_type !== "other") {
        filter = "inactive_wallet";
        Object.assign(values, { filtered: true, filter_reason: filter, processed_at: nowIso(now) });
        values.processing_duration_ms = now - row.received_at_ms;
      }
      [inserted] = await write({ ...values, wallet_id: null });
    }
    let id = (inserted as { id: number }[])[0]?.id;
    let type = values.signal_type as string;
    let final = filter !== null;
    if (id === undefined) {
      // Already recorded: by an earlier attempt of this actor, or by the actor of another watched wallet
      // involved in the same transaction (one signal per transaction, DESIGN §4).
      const existing = await this.db
        .select({ id: signals.id, wallet_address: signals.wallet_address, signal_type: signals.signal_type })
        .from(signals)
        .where(eq(signals.transaction_signature, row.signature))
        .get();
      if (!existing) throw new Error("signal insert ignored but no row found");
      id = existing.id;
      type = existing.signal_type;
      if (existing.wallet_address !== address) {
        log.info("signal_owned_by_other_wallet", { signature: row.signature, owner: existing.wallet_address, address });
        final = true;
      }
    }
    // Only from 'received': a slower concurrent record (ingest vs alarm) must not reopen a finished row.
    this.ctx.storage.sql.exec(
      "UPDATE inbox SET state = ?, signal_id = ?, signal_type = ?, last_error = NULL WHERE signature = ? AND state = 'received'",
      final ? "done" : "recorded",
      id,
      type,
      row.signature,
    );
    log.info("signal_recorded", { signature: row.signature, wallet: address, type, filter_reason: filter });
  }

  /** Marks the signal decided: filtered with a reason, or passed with its entry / exit. */
  private async finish(
    row: Row,
    fields: Partial<typeof signals.$inferInsert> & { filter_reason?: FilterReason | null },
    detail?: string,
  ) {
    const now = Date.now();
    // A pass never clears `filtered`: the SwapQueue may already have refused the entry (caps, breaker,
    // no price) and marked the signal, in either order relative to this write.
    const { filter_reason, filtered, ...rest } = fields;
    const verdict = filter_reason ? { filtered: true, filter_reason } : filtered ? { filtered: true } : {};
    await this.db
      .update(signals)
      .set({
        ...rest,
        ...verdict,
        processed_at: nowIso(now),
        processing_duration_ms: now - row.received_at_ms,
      })
      .where(eq(signals.id, row.signal_id as number));
    this.setState(row.signature, "done");
    if (fields.filter_reason)
      log.info("signal_filtered", { signature: row.signature, reason: fields.filter_reason, detail });
  }

  /** The SOL price in USD, or null: a price failure never loses the signal (PriceFeed may be down). */
  protected async solUsd(): Promise<number | null> {
    try {
      const prices = await this.env.PRICE_FEED.getByName("default").getPrices([WSOL_MINT]);
      const p = prices[WSOL_MINT]?.price_usd;
      return typeof p === "number" && p > 0 ? p : null;
    } catch (err) {
      log.warn("sol_price_unavailable", { error: errMessage(err) });
      return null;
    }
  }

  protected async enqueueEntry(req: SwapRequest): Promise<EnqueueResult> {
    return this.env.SWAP_QUEUE.getByName("default").enqueue(req);
  }

  /** The leader's current balance of a mint (base units, both token programs). */
  protected async leaderTokenBalance(owner: string, mint: string): Promise<bigint> {
    const lists = await Promise.all(TOKEN_PROGRAMS.map((p) => getTokenAccounts(this.env, owner, p)));
    return lists.flat().reduce((s, a) => (a.mint === mint ? s + BigInt(a.amount) : s), 0n);
  }

  protected async mirrorExit(positionId: string, req: MirrorExitRequest): Promise<MirrorExitResult> {
    return this.env.POSITION_ACTOR.getByName(positionId).mirrorExit(req);
  }

  private classification(row: Row): { tx: HeliusTx; c: Classification } {
    const tx = HeliusTxSchema.parse(JSON.parse(row.payload));
    return { tx, c: classify(tx, this.address() as string) };
  }

  /** BUY: breaker → copy rules → token safety → sizing → exposure → enqueue a NORMAL entry. */
  private async processBuy(row: Row, config: Config) {
    // An entry is retried while the trade is still fresh — for as long again as max_signal_age_seconds after
    // its reception — then given up (WallTrack never chases an old trade). Exits are retried forever.
    const retryUntil = row.received_at_ms + config.max_signal_age_seconds * 1000;
    let decision = row.decision ? (JSON.parse(row.decision) as EntryDecision) : null;
    if (!decision) {
      decision = await this.decideEntry(row, config);
      if (!decision) return; // filtered and finished
      this.saveDecision(row.signature, decision);
    }
    try {
      const result = await this.enqueueEntry(decision.request);
      // The queue may refuse the entry itself (its own breaker gate): the signal says why.
      const cancelled =
        result.status === "cancelled" && (FILTER_REASONS as readonly string[]).includes(result.cancel_reason ?? "")
          ? (result.cancel_reason as FilterReason)
          : null;
      await this.finish(
        row,
        { order_id: result.order_id, entry_usd: decision.request.requested_usd ?? null, filter_reason: cancelled },
        cancelled ? "cancelled by the SwapQueue" : undefined,
      );
      log.info("entry_enqueued", { signature: row.signature, order_id: result.order_id, duplicate: result.duplicate });
    } catch (err) {
      if (Date.now() > retryUntil) {
        await this.finish(row, { filter_reason: "enqueue_failed" }, errMessage(err));
        return;
      }
      throw err;
    }
  }

  private async decideEntry(row: Row, config: Config): Promise<EntryDecision | null> {
    const db = this.db;
    const address = this.address() as string;
    const { tx, c } = this.classification(row);
    const mint = c.token_mint as string;
    // Checked again at decision time: a record delayed by retries must not turn into a late entry.
    if (isStale(tx.timestamp, Date.now(), config.max_signal_age_seconds)) {
      await this.finish(row, { filter_reason: "stale_signal" }, "stale when decided");
      return null;
    }
    const wallet = await db.select().from(wallets).where(eq(wallets.address, address)).get();
    if (!wallet?.is_active) {
      await this.finish(row, { filter_reason: "inactive_wallet" });
      return null;
    }
    const breaker = await breakerState(db);
    if (breaker.open) {
      await this.finish(row, { filter_reason: "circuit_breaker" }, breaker.reason ?? breaker.trigger ?? "open");
      return null;
    }
    const solUsd = await this.solUsd();
    const priced = withSolPrice(c, solUsd);
    const priceFields = {
      sol_amount: priced.sol_amount,
      usd_amount: priced.usd_amount,
      price_sol: priced.price_sol,
      price_usd: priced.price_usd,
    };
    if (priced.sol_amount === null) {
      await this.finish(row, { ...priceFields, filter_reason: "price_unavailable" }, "USD-quoted trade, no SOL price");
      return null;
    }

    const rules = effectiveCopyRules(config, wallet);
    const facts = await this.copyFacts(address, mint, row.signal_id as number);
    const verdict = checkCopyRules(rules, { ...facts, leader_trade_sol: priced.sol_amount, now_ms: Date.now() });
    if (!verdict.ok) {
      await this.finish(row, { ...priceFields, filter_reason: verdict.reason }, verdict.detail);
      return null;
    }

    let safetyScore: number | null = null;
    let decimals = c.token_decimals;
    if (config.safety_check_enabled) {
      const safety = await assessTokenSafety(this.env, db, mint, config);
      decimals ??= safety.decimals;
      if (safety.status === "unavailable") {
        await this.finish(row, { ...priceFields, filter_reason: "safety_unavailable" }, safety.detail);
        return null;
      }
      safetyScore = safety.result.score;
      if (!safety.result.passed) {
        await this.finish(
          row,
          { ...priceFields, safety_score: safetyScore, filter_reason: "safety_check_failed" },
          JSON.stringify(safety.result.checks),
        );
        return null;
      }
    }
    if (decimals === null) {
      const t = await db.run(sql`SELECT decimals FROM tokens WHERE mint_address = ${mint}`);
      const d = (t.results[0] as { decimals?: number | null } | undefined)?.decimals;
      decimals = typeof d === "number" ? d : null;
    }
    if (decimals === null) {
      await this.finish(row, { ...priceFields, safety_score: safetyScore, filter_reason: "token_decimals_unknown" });
      return null;
    }

    const size = sizeEntry(config, wallet, {
      leader_sol: priced.sol_amount,
      leader_usd: priced.usd_amount,
      sol_usd: solUsd,
      rebuy:
        verdict.rebuy && facts.prior_entry_usd !== null
          ? { first_entry_usd: facts.prior_entry_usd, percent: rules.rebuy_size_percent }
          : null,
    });
    if (!size.ok) {
      await this.finish(row, { ...priceFields, safety_score: safetyScore, filter_reason: size.reason }, size.detail);
      return null;
    }
    if (!(size.usd > 0)) {
      await this.finish(row, { ...priceFields, safety_score: safetyScore, filter_reason: "position_size_zero" });
      return null;
    }
    const exposure = checkExposure(rules, facts.exposure_usd, size.usd);
    if (!exposure.ok) {
      await this.finish(
        row,
        { ...priceFields, safety_score: safetyScore, filter_reason: exposure.reason },
        exposure.detail,
      );
      return null;
    }
    // The decision is on the signal before the enqueue: an operator sees what was intended even if the
    // queue is down (the inbox keeps retrying it).
    // Decimals learnt from the token data complete the exact amount the payload could not give.
    const amount =
      c.token_amount ?? (c.token_ui_amount !== null ? uiToBase(c.token_ui_amount, decimals).toString() : null);
    await db
      .update(signals)
      .set({
        ...priceFields,
        token_decimals: decimals,
        token_amount: amount,
        safety_score: safetyScore,
        entry_usd: size.usd,
        filtered: false,
        filter_reason: null,
      })
      .where(eq(signals.id, row.signal_id as number));
    return {
      kind: "entry",
      request: {
        idempotency_key: `entry:${row.signal_id}`,
        side: "buy",
        priority: "normal",
        mode: wallet.mode,
        token_mint: mint,
        wallet_id: wallet.id,
        signal_id: row.signal_id,
        reason: "entry",
        requested_usd: size.usd,
        entry: {
          source_wallet_address: address,
          exit_strategy_id: wallet.exit_strategy_id,
          token_decimals: decimals,
          leader_price_usd: priced.price_usd,
        },
      },
    };
  }

  /** The D1 facts the copy rules need (see domain/copy-rules.ts). */
  private async copyFacts(address: string, mint: string, signalId: number) {
    const db = this.db;
    const q = async <T>(query: ReturnType<typeof sql>) => (await db.run(query)).results[0] as T | undefined;
    // The first entry of this leader in this mint: a position, or an entry decided (queued, or still being
    // retried) whose order did not fail — so a second buy cannot slip in while the first is in flight.
    const firstPosition = await q<{ usd: number }>(sql`
      SELECT entry_cost_usd AS usd FROM positions
      WHERE source_wallet_address = ${address} AND token_mint = ${mint} ORDER BY opened_at LIMIT 1`);
    const firstSignal = firstPosition
      ? undefined
      : await q<{ usd: number }>(sql`
      SELECT s.entry_usd AS usd FROM signals s LEFT JOIN orders o ON o.id = s.order_id
      WHERE s.wallet_address = ${address} AND s.token_mint = ${mint} AND s.signal_type = 'buy'
        AND s.entry_usd IS NOT NULL AND s.filtered = 0 AND s.id != ${signalId}
        AND (o.id IS NULL OR o.status NOT IN ('failed', 'cancelled', 'dead'))
      ORDER BY s.id LIMIT 1`);
    const lastExit = await q<{ t: string | null }>(sql`
      SELECT MAX(closed_at) AS t FROM positions WHERE token_mint = ${mint} AND status = 'closed'`);
    const open = await q<{ n: number; usd: number | null }>(sql`
      SELECT COUNT(*) AS n, SUM(entry_cost_usd) AS usd FROM positions WHERE status IN ('open', 'closing')`);
    const queued = await q<{ n: number; usd: number | null }>(sql`
      SELECT COUNT(*) AS n, SUM(requested_usd) AS usd FROM orders
      WHERE side = 'buy' AND status IN ('pending', 'executing', 'submitted')`);
    return {
      prior_entry_usd: firstPosition?.usd ?? firstSignal?.usd ?? null,
      last_exit_at_ms: lastExit?.t ? Date.parse(lastExit.t) : null,
      open_positions: (open?.n ?? 0) + (queued?.n ?? 0),
      exposure_usd: (open?.usd ?? 0) + (queued?.usd ?? 0),
    };
  }

  /** SELL: mirror the leader's exit on every open position copied from this leader in this mint. */
  private async processSell(row: Row) {
    const address = this.address() as string;
    let decision = row.decision ? (JSON.parse(row.decision) as ExitDecision) : null;
    if (!decision) {
      const { tx, c } = this.classification(row);
      decision = await this.decideExit(address, c, row.signal_id as number, nowIso(tx.timestamp * 1000));
      this.saveDecision(row.signature, decision);
    }
    const { c } = this.classification(row);
    if (decision.position_ids.length === 0) {
      await this.finish(row, {
        ...(await this.pricedFields(c)),
        leader_balance_before: decision.leader_balance_before,
        filter_reason: row.wallet_active ? "no_open_position" : "inactive_wallet",
      });
      return;
    }
    for (const id of decision.position_ids) {
      if (decision.done.includes(id)) continue;
      const res = await this.mirrorExit(id, {
        signal_id: row.signal_id as number,
        transaction_signature: row.signature,
        leader_address: address,
        token_mint: c.token_mint as string,
        fraction: decision.fraction,
      });
      decision.done.push(id);
      decision.order_id ??= res.order_id ?? null;
      this.saveDecision(row.signature, decision); // progress survives a failure on the next position
    }
    // The USD side is filled in after the exits were asked for: they must not wait on a price.
    await this.finish(row, {
      ...(await this.pricedFields(c)),
      leader_balance_before: decision.leader_balance_before,
      order_id: decision.order_id,
    });
  }

  /** The signal's SOL / USD amounts and prices with the SOL price when available (null parts otherwise). */
  private async pricedFields(c: Classification) {
    const p = withSolPrice(c, await this.solUsd());
    return { sol_amount: p.sol_amount, usd_amount: p.usd_amount, price_sol: p.price_sol, price_usd: p.price_usd };
  }

  /**
   * The fraction the leader sold = sold / its balance before the sale. Helius enhanced payloads carry balance
   * CHANGES, not balances, so the balance before is derived:
   * 1. from the leader's own recorded signals in this mint (bought minus sold before this one) when that
   *    history covers the sale — exact whenever we saw its buys, whatever happened since;
   * 2. otherwise (it held tokens from before we watched) from the chain: its current token balance, read
   *    right after the sale, plus the amount sold; a current balance of 0 means it sold everything → 1;
   * 3. when the chain cannot be read either, 1 — in doubt the copy exits fully, the side of the risk that
   *    cannot lose more than the position holds. `leader_balance_before` records the denominator used.
   */
  private async decideExit(
    address: string,
    c: Classification,
    signalId: number,
    soldAt: string,
  ): Promise<ExitDecision> {
    const mint = c.token_mint as string;
    // Only positions copied from a leader BUY made before this SELL: a sale recovered late (backfill) must not
    // close what was copied from the leader's later re-entry. A position of unknown origin is still mirrored.
    const open = await this.db
      .select({ id: positions.id })
      .from(positions)
      .leftJoin(signals, eq(signals.id, positions.signal_id))
      .where(
        and(
          eq(positions.status, "open"),
          eq(positions.source_wallet_address, address),
          eq(positions.token_mint, mint),
          or(isNull(signals.block_time), lte(signals.block_time, soldAt)),
        ),
      )
      .orderBy(asc(positions.opened_at));
    const history = await this.db
      .select({ type: signals.signal_type, amount: signals.token_amount })
      .from(signals)
      .where(
        and(
          eq(signals.wallet_address, address),
          eq(signals.token_mint, mint),
          lt(signals.id, signalId),
          ne(signals.signal_type, "other"),
        ),
      );
    let held = 0n;
    for (const h of history) {
      if (!h.amount || !/^\d+$/.test(h.amount)) continue;
      held += h.type === "buy" ? BigInt(h.amount) : -BigInt(h.amount);
    }
    const sold = c.token_amount && /^\d+$/.test(c.token_amount) ? BigInt(c.token_amount) : null;
    let before: bigint | null = null;
    if (held > 0n && sold !== null && held >= sold) before = held;
    else if (sold !== null && open.length > 0) {
      try {
        before = (await this.leaderTokenBalance(address, mint)) + sold;
      } catch (err) {
        log.warn("leader_balance_unavailable", { address, mint, error: errMessage(err) });
      }
    }
    const fraction =
      before !== null && sold !== null && before > 0n && sold < before
        ? Number(sold) / Number(before) // both < 2^64: the ratio keeps full float precision
        : 1;
    return {
      kind: "exit",
      fraction,
      leader_balance_before: before === null ? null : before.toString(),
      position_ids: open.map((p) => p.id),
      done: [],
      order_id: null,
    };
  }

  /** Identity and health of this instance. */
  async status(): Promise<{ actor: string; id: string; name: string | null }> {
    return { actor: "WalletActor", id: this.ctx.id.toString(), name: this.ctx.id.name ?? null };
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
