import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { getDb } from "../src/db/client";
import { alarmHeartbeat } from "../src/db/heartbeats";
import { signals } from "../src/db/schema";
import type { SafetyOutcome } from "../src/db/token-safety";
import { type Classification, classify, withSolPrice } from "../src/domain/classify";
import type { Config } from "../src/domain/config";
import { cooldownNeedsHistory, firstLiveEntry } from "../src/domain/copy-facts";
import { entryRetryUntil, queueRefusal } from "../src/domain/entry-decision";
import { inboxRowOnSale, nothingToMirror } from "../src/domain/exit-decision";
import type { HeliusTx } from "../src/domain/helius-tx";
import { afterFailure, MAX_INBOX_ATTEMPTS } from "../src/domain/inbox-retry";
import type { ChainPoint } from "../src/domain/leader-timeline";
import { WSOL_MINT } from "../src/domain/price";
import { chainKey, parsePayload, recordFilter } from "../src/domain/record-filter";
import { SOL_REFERENCE_MAX_AGE_MS } from "../src/domain/reference-price";
import type { FilterReason } from "../src/domain/signal-filters";
import { signalVerdict } from "../src/domain/signal-verdict";
import type {
  EnqueueResult,
  LeaderSaleNotice,
  LeaderSaleResult,
  MirrorExitRequest,
  MirrorExitResult,
  SwapRequest,
} from "../src/domain/swap-order";
import { nextAlarmAt } from "../src/domain/wallet-alarm";
import { errorMessage } from "../src/lib/error-message";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { type HotSnapshot, HotStateStore } from "../src/pipeline/hot-state";
import { KeyedChains } from "../src/pipeline/mint-chains";
import type { EntryFacts, EntryFactsQuery, OpenCopies, OpenCopiesQuery } from "../src/pipeline/queue-facts";
import { SignalLog } from "../src/pipeline/signal-log";
import { type QueuedSignal, SignalOutbox, type SignalValues, writeSignals } from "../src/pipeline/signal-outbox";
import { assessSafety, tokenSafetyOf } from "../src/pipeline/token-safety-shard";
import { copyFactsFromD1, lastExitFromD1, openCopiesFromD1, tradesFromD1 } from "../src/pipeline/wallet-d1-fallbacks";
import { decideEntry, type EntryPorts } from "../src/pipeline/wallet-entry";
import { decideExit, type ExitPorts } from "../src/pipeline/wallet-exit";
import { loadWalletHotState, type WalletHotState } from "../src/pipeline/wallet-hot-state";
import type { CancelledDecision, EntryDecision, ExitDecision, InboxRow, Row } from "../src/pipeline/wallet-inbox";
import { InboxStore, isActive } from "../src/pipeline/wallet-inbox-store";
import { recordedSignal } from "../src/pipeline/wallet-signals";
import { getTokenAccounts, TOKEN_PROGRAMS } from "../src/upstream/solana-rpc";

/**
 * What the webhook route knows about the watched wallet when it hands a delivery over: a routing hint, possibly
 * stale (the route's isolate cache). The actor decides from its own hot state, confirmed from D1 in doubt.
 */
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
  /** ignored: the wallet is not watched any more (deleted since the route's snapshot), nothing was stored. */
  status: "accepted" | "duplicate" | "ignored";
  /** The wallet as this actor knows it (null: gone), for the route's watch cache. */
  wallet?: { id: number; is_active: boolean } | null;
}

export type { CancelledDecision, EntryDecision, ExitDecision, InboxRow } from "../src/pipeline/wallet-inbox";

/**
 * When the alarm comes back for rows a chain holds: only if the chain died with the object (an eviction);
 * a live chain finishes them first and re-arms for any retry it leaves.
 */
const SAFETY_NET_MS = 5000;

export { MAX_INBOX_ATTEMPTS };

/**
 * WalletActor: one per watched address (DESIGN §1). The webhook hands it transactions; it persists them in
 * its SQLite inbox (signature PRIMARY KEY: a redelivered or concurrent duplicate is detected atomically,
 * before any await) and answers — the route acks Helius on that write alone. The decision (breaker, copy rules,
 * token safety, sizing, SwapQueue / PositionActor calls) goes on in this actor on the mint's chain; the alarm
 * finishes whatever it leaves. Everything is keyed by the transaction signature (the entry decision is stored
 * before the enqueue). The signal row reaches D1 once, with its final decision, behind it (signal-outbox.ts):
 * queued in the write that finishes the row, flushed on the same chain, retried by the alarm until written.
 */
export class WalletActor extends DurableObject<Env> {
  /** Config, breaker, this wallet and its strategy, pushed by their writers (src/pipeline/hot-state.ts). */
  private readonly hot: HotStateStore<WalletHotState>;
  /** The inbox rows and this actor's identity (src/pipeline/wallet-inbox-store.ts). */
  private readonly inboxStore: InboxStore;
  /** Inbox rows being decided, one chain per mint (in memory: an evicted object has no run left). */
  private readonly chains = new KeyedChains();
  /** This leader's classified trades, what the decisions read instead of D1's signals. */
  private readonly trades: SignalLog;
  /** The signals on their way to D1, written once each behind the decision (src/pipeline/signal-outbox.ts). */
  private readonly outbox: SignalOutbox;
  /** The flush running now (one at a time); `flushAgain`: signals were queued while it ran. */
  private flushing: Promise<void> | null = null;
  private flushAgain = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hot = new HotStateStore<WalletHotState>(ctx.storage.sql);
    this.trades = new SignalLog(ctx.storage.sql);
    this.outbox = new SignalOutbox(ctx.storage.sql);
    this.inboxStore = new InboxStore(ctx.storage.sql);
    attachUpstreamHealth(env); // upstream breaker state → D1 status (issue 12)
    ctx.blockConcurrencyWhile(async () => {
      this.inboxStore.migrate();
    });
  }

  private get db() {
    return getDb(this.env.DB);
  }

  /** The push (src/pipeline/wallet-hot-state.ts): a newer snapshot replaces the cached one, an older is ignored. */
  async applyHotState(snapshot: HotSnapshot<WalletHotState>): Promise<{ applied: boolean; version: number }> {
    return this.hot.apply(snapshot);
  }

  /** The cached snapshot's version (null: none yet), for the API, tests and diagnostics. */
  async hotStateVersion(): Promise<number | null> {
    return this.hot.current()?.version ?? null;
  }

  /** What the decisions read instead of D1; loaded from D1 only by an actor that has no snapshot yet. */
  private hotState(address: string): Promise<WalletHotState> {
    return this.hot.get(() => loadWalletHotState(this.env.DB, address));
  }

  private address(): string | null {
    return this.inboxStore.address();
  }

  /**
   * Persists the transactions (duplicates detected by signature) and answers: the route acks Helius on
   * the durable inbox write alone (issue 10). The decision of each accepted row then goes on in this actor,
   * on its mint's chain, without the RPC waiting for it; the alarm armed here finishes whatever that run
   * does not (an eviction, a failure).
   */
  async ingest(snapshot: WalletSnapshot, items: IngestItem[], receivedAtMs: number): Promise<IngestResult[]> {
    const known = this.address();
    if (known && known !== snapshot.address)
      throw new Error(`WalletActor of ${known} got items for ${snapshot.address}`);
    // The route's snapshot may be stale: the wallet is taken from the hot state, and from D1 when they disagree.
    const wallet = this.watched(snapshot) ?? (await this.confirmWallet(snapshot.address));
    if (wallet === null) {
      log.info("delivery_ignored_wallet_gone", { address: snapshot.address, items: items.length });
      return items.map((i) => ({ signature: i.signature, status: "ignored", wallet: null }));
    }
    if (!this.address()) this.inboxStore.setAddress(snapshot.address);
    // All inserts happen before the first await: no other call can interleave between check and write.
    const results: IngestResult[] = items.map((item) => ({
      signature: item.signature,
      status: this.inboxStore.insert(item.signature, item.payload, receivedAtMs, wallet) ? "accepted" : "duplicate",
      wallet,
    }));
    const accepted = results.filter((r) => r.status === "accepted").map((r) => r.signature);
    // Decided now, in this delivery: each row joins its mint's chain (not awaited by the RPC). Added before
    // the first await, so the alarm can never take a row of this delivery ahead of its chain.
    for (const signature of accepted) {
      const row = this.row(signature);
      if (row) void this.schedule(row);
    }
    // The safety net, armed on duplicates too while work is pending: a redelivery repairs a hand-off that
    // failed after persisting but before arming. Not at once: the chains are on it.
    if (this.inboxStore.hasActive()) await this.armAlarm(Date.now() + (accepted.length > 0 ? SAFETY_NET_MS : 0));
    return results;
  }

  /** Resolves once no row of this instance is held by a chain (tests, diagnostics). */
  async drained(): Promise<void> {
    await this.chains.drained();
  }

  /**
   * Puts the row on its mint's chain: rows of one mint run one at a time in arrival order (a leader's BUY
   * then SELL of a mint), rows of other mints concurrently. Rows without a mint run alone.
   */
  private schedule(row: Row): Promise<void> {
    return this.chains.add(
      chainKey(row.signature, row.payload, this.address() as string),
      row.signature,
      () => this.work(row.signature),
      (err) => log.warn("wallet_actor_chain_failed", { signature: row.signature, error: errorMessage(err) }),
    );
  }

  /** One chain step: the row as stored now, decided with the hot config; owed retries keep the alarm armed. */
  private async work(signature: string) {
    if (!isActive(this.row(signature))) return;
    const { config } = await this.hotState(this.address() as string);
    await this.tradesReady();
    const r = this.row(signature); // re-read: the await let other calls run
    if (!isActive(r)) return;
    await this.processRow(r, config, Date.now());
    // The signal this decision queued goes to D1 now, on the same chain (so `drained()` covers it).
    await this.flushSignals();
    const after = this.row(signature);
    if (isActive(after)) await this.armAlarm(after.next_attempt_ms);
  }

  /** The wallet from the hot state when it agrees with the route's snapshot; undefined when in doubt. */
  private watched(snapshot: WalletSnapshot): { id: number; is_active: boolean } | undefined {
    const w = this.hot.current()?.data.wallet;
    if (!w || w.address !== snapshot.address || w.id !== snapshot.id) return undefined;
    return { id: w.id, is_active: w.is_active };
  }

  /**
   * The rare slow path: the hot state has no wallet, another id (deleted and re-added) or none at all. A fresh
   * D1 snapshot settles it (kept unless a newer push landed meanwhile); null: the wallet is not watched.
   */
  private async confirmWallet(address: string): Promise<{ id: number; is_active: boolean } | null> {
    this.hot.apply(await loadWalletHotState(this.env.DB, address));
    const w = this.hot.current()?.data.wallet;
    return w && w.address === address ? { id: w.id, is_active: w.is_active } : null;
  }

  /** The inbox rows (newest first), optionally of one state, for the API, tests and diagnostics. */
  async inbox(limit = 100, state?: InboxRow["state"]): Promise<InboxRow[]> {
    return this.inboxStore.list(limit, state);
  }

  /**
   * The backfill cursor (src/jobs/backfill.ts): the newest on-chain signature of this wallet below which the
   * backfill has resolved everything. Kept here, beside the inbox, rather than in a D1 column.
   */
  async backfillCursor(): Promise<string | null> {
    return this.inboxStore.backfillCursor();
  }

  async setBackfillCursor(signature: string): Promise<void> {
    this.inboxStore.setBackfillCursor(signature);
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
      failure = errorMessage(err);
      log.warn("wallet_actor_alarm_failed", { address: this.address(), error: errorMessage(err) });
    } finally {
      // A row a chain holds is its chain's until it ends; the alarm only comes back for it later, in case
      // the object is evicted with the chain unfinished.
      const soonest = this.inboxStore.soonestActive(this.chains.size + 1);
      const free = soonest.find((r) => !this.chains.holds(r.signature))?.t;
      const held = soonest.some((r) => this.chains.holds(r.signature)) ? Date.now() + SAFETY_NET_MS : null;
      const owed = this.outbox.soonest(); // signals not yet in D1
      const next = nextAlarmAt([free, held, owed], Date.now(), minDelay);
      if (next != null) await this.ctx.storage.setAlarm(next);
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
    return this.inboxStore.row(signature);
  }

  private async processDue(now: number) {
    this.inboxStore.prune(now);
    // Signals decided but not yet in D1 (a flush that failed, or an object that died before it ran).
    if (this.outbox.due(now, 1).length > 0) await this.flushSignals(now);
    const due = this.inboxStore.due(now);
    if (due.length === 0) return;
    // Fails the whole run (backed off) when the config cannot be had: nothing could be decided.
    await this.hotState(this.address() as string);
    // The same per-mint chains as a delivery, in arrival order: a row a chain holds (this delivery's, or
    // another alarm run's) is left to it, and a row of a busy mint waits behind that mint's chain.
    await Promise.all(due.filter((r) => !this.chains.holds(r.signature)).map((r) => this.schedule(r)));
  }

  /**
   * Writes the queued signals to D1 (src/pipeline/signal-outbox.ts), one flush at a time: a call while one runs
   * waits for it and one more pass. A failure backs the signals off and keeps the alarm armed for them; it never
   * fails the decision that queued them.
   */
  private flushSignals(now?: number): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    const run = async () => {
      do {
        this.flushAgain = false;
        const at = now ?? Date.now();
        for (let due: QueuedSignal[] = this.outbox.due(at); due.length > 0; due = this.outbox.due(at)) {
          try {
            await writeSignals(this.db, due);
          } catch (err) {
            this.outbox.failed(
              due.map((d) => d.signature),
              Date.now(),
            );
            log.warn("signal_flush_failed", { signals: due.length, error: errorMessage(err).split("\n")[0] });
            const owed = this.outbox.soonest();
            if (owed != null) await this.armAlarm(owed);
            return;
          }
          this.outbox.written(due.map((d) => d.signature));
        }
      } while (this.flushAgain);
    };
    // Cleared in a `finally` callback (always a later microtask), so never before it is assigned.
    const p: Promise<void> = run().finally(() => {
      if (this.flushing === p) this.flushing = null;
    });
    this.flushing = p;
    return p;
  }

  private async processRow(r: Row, config: Config, now: number) {
    if (r.state === "parking") {
      await this.recordParked(r, now);
      return;
    }
    try {
      let row: Row | undefined = r;
      if (row.state === "received") {
        await this.record(row, config);
        row = this.row(r.signature);
      }
      if (row?.state !== "recorded") return;
      if (row.signal_type === "buy") await this.processBuy(row, config);
      else if (row.signal_type === "sell") await this.processSell(row);
      else await this.finish(row, {});
    } catch (err) {
      this.failed(r, err, now);
    }
  }

  private failed(r: Row, err: unknown, now: number) {
    const { attempts, park, next_attempt_ms } = afterFailure(r.attempts, now);
    const error = errorMessage(err);
    log.warn("wallet_actor_step_failed", { signature: r.signature, attempts, error });
    // Parking and the signal write it owes are one storage write: the alarm retries that write until done.
    this.inboxStore.failed(r.signature, attempts, next_attempt_ms, error, park);
    if (park) log.error("inbox_item_parked", { signature: r.signature, attempts, error });
  }

  /**
   * Writes the parked row's signal as filtered `invalid_transaction` (its payload kept), then marks it dead.
   * A row that never got a signal (its classification or timestamp threw) gets a minimal one; one that had a
   * signal gets that signal marked. A failure here is retried by the alarm, the row staying `parking`.
   */
  private async recordParked(r: Row, now: number) {
    const address = this.address() as string;
    const processed = { processed_at: nowIso(now), processing_duration_ms: now - r.received_at_ms };
    try {
      const id = r.signal_id;
      if (id !== null) {
        // A row recorded by an older version (its signal inserted before the decision): marked in place. The
        // one UPDATE of a signal left in this actor, for rows that predate the write-behind.
        await this.db
          .update(signals)
          .set({ filtered: true, filter_reason: "invalid_transaction", ...processed })
          .where(eq(signals.id, id));
      } else {
        // The signal as recorded (its classification kept) or, never recorded, a minimal one; the draft stays
        // a draft, so an operator's requeue decides it and replaces this placeholder (signal-outbox.ts).
        const base: SignalValues = this.outbox.values(r.signature) ?? {
          transaction_signature: r.signature,
          wallet_id: r.wallet_id,
          wallet_address: address,
          signal_type: "other",
          webhook_received_at: nowIso(r.received_at_ms),
          raw_payload: r.payload,
        };
        const placeholder = { ...base, filtered: true, filter_reason: "invalid_transaction", ...processed };
        await writeSignals(this.db, [
          { signature: r.signature, values: placeholder, replacePlaceholder: false, attempts: 0 },
        ]);
      }
      this.inboxStore.markDead(r.signature);
      log.info("signal_filtered", { signature: r.signature, reason: "invalid_transaction", detail: r.last_error });
    } catch (err) {
      // First line only: a failed Drizzle query's message goes on to list its parameters (the whole payload).
      log.warn("inbox_park_record_failed", { signature: r.signature, error: errorMessage(err).split("\n")[0] });
      this.inboxStore.retryParkingAt(r.signature, now + 60_000);
    }
  }

  /**
   * Puts a dead row back in line with a fresh attempt count, from where it stopped (recorded rows keep their
   * signal and decision). The operator's retry after fixing the cause; anything else answers false.
   */
  async requeue(signature: string): Promise<{ requeued: boolean; state: InboxRow["state"] | null }> {
    const row = this.row(signature);
    if (!row) return { requeued: false, state: null };
    if (row.state !== "dead") return { requeued: false, state: row.state };
    const now = Date.now();
    this.inboxStore.requeue(signature, now);
    // Its decided signal will replace the placeholder written at parking (the one non-insert write).
    this.outbox.reopen(signature);
    await this.armAlarm(now);
    return { requeued: true, state: (this.row(signature) as Row).state };
  }

  /** Classifies the transaction and writes its signal row (idempotent: the signature is unique in D1). */
  private async record(row: Row, config: Config) {
    const address = this.address() as string;
    const parsed = parsePayload(row.payload);
    const tx: HeliusTx | null = parsed.success ? parsed.data : null;
    const c: Classification | null = tx ? classify(tx, address) : null;
    const filter = recordFilter(tx, c, !!row.wallet_active, row.received_at_ms, config.max_signal_age_seconds);
    const values = recordedSignal(row, address, tx, c, filter, config.max_signal_age_seconds, Date.now());
    const type = values.signal_type as string;
    const final = filter !== null;
    // One storage transaction: the signal's values (a draft, or final when filtered here), the leader's trade
    // log and the row's state. No D1: the signal reaches D1 once, behind the decision (signal-outbox.ts).
    // Only from 'received': a slower concurrent record (ingest vs alarm) must not reopen a finished row.
    this.ctx.storage.transactionSync(() => {
      if (this.row(row.signature)?.state !== "received") return;
      this.outbox.draft(values);
      if (final) this.outbox.queue(row.signature, {});
      // The decisions' own history of this leader.
      if (c && tx && c.token_mint && (type === "buy" || type === "sell"))
        this.trades.note({
          signature: row.signature,
          type,
          mint: c.token_mint,
          amount: c.token_amount,
          slot: tx.slot ?? null,
          block_time_ms: tx.timestamp * 1000,
          received_ms: row.received_at_ms,
        });
      this.inboxStore.markRecorded(row.signature, final, type);
    });
    log.debug("signal_recorded", { signature: row.signature, wallet: address, type, filter_reason: filter });
  }

  /**
   * Decides the signal: filtered with a reason, or passed with its entry / exit. Its final values are queued
   * for their one D1 insert in the same storage write that finishes the row (the flush follows on the chain).
   */
  private async finish(
    row: Row,
    fields: Partial<SignalValues> & { filter_reason?: FilterReason | null },
    detail?: string,
    numbers?: Record<string, unknown>,
  ) {
    const now = Date.now();
    const { filter_reason, filtered, ...rest } = fields;
    const final = {
      ...rest,
      ...signalVerdict(filter_reason, filtered, detail, numbers),
      processed_at: nowIso(now),
      processing_duration_ms: now - row.received_at_ms,
    };
    let queued = false;
    this.ctx.storage.transactionSync(() => {
      queued = this.outbox.queue(row.signature, final);
      if (queued || row.signal_id === null) this.inboxStore.setState(row.signature, "done");
    });
    if (!queued && row.signal_id !== null) {
      // A row recorded by an older version: its signal is already in D1 (inserted before the decision), so the
      // decision can only be marked on it. Rows recorded from this version on are insert-only.
      await this.db.update(signals).set(final).where(eq(signals.id, row.signal_id));
      this.inboxStore.setState(row.signature, "done");
    }
    if (fields.filter_reason)
      log.info("signal_filtered", { signature: row.signature, reason: fields.filter_reason, detail });
  }

  /** The SOL price in USD, or null: a price failure never loses the signal (PriceFeed may be down). */
  protected async solUsd(): Promise<number | null> {
    try {
      // A reference price: seconds old is fine to value and size a trade, and the decision does not wait for it.
      const prices = await this.env.PRICE_FEED.getByName("default").getPrices([WSOL_MINT], {
        max_age_ms: SOL_REFERENCE_MAX_AGE_MS,
      });
      const p = prices[WSOL_MINT]?.price_usd;
      return typeof p === "number" && p > 0 ? p : null;
    } catch (err) {
      log.warn("sol_price_unavailable", { error: errorMessage(err) });
      return null;
    }
  }

  /** The mint's safety, from its TokenSafety object (cached with its TTL, one lookup for concurrent looks). */
  protected async tokenSafety(mint: string, config: Config): Promise<SafetyOutcome> {
    return assessSafety(this.env, mint, config);
  }

  /** The mint's decimals from its TokenSafety object (its last lookup), when the payload did not carry them. */
  protected async tokenDecimals(mint: string): Promise<number | null> {
    return tokenSafetyOf(this.env, mint).decimals(mint);
  }

  protected async queueEntryFacts(q: EntryFactsQuery): Promise<EntryFacts | null> {
    return this.env.SWAP_QUEUE.getByName("default").entryFacts(q);
  }

  protected async queueOpenCopies(q: OpenCopiesQuery): Promise<OpenCopies | null> {
    return this.env.SWAP_QUEUE.getByName("default").openCopies(q);
  }

  protected async enqueueEntry(req: SwapRequest): Promise<EnqueueResult> {
    return this.env.SWAP_QUEUE.getByName("default").enqueue(req);
  }

  /** The leader's current balance of a mint (base units, both token programs). */
  protected async leaderTokenBalance(owner: string, mint: string): Promise<bigint> {
    const lists = await Promise.all(TOKEN_PROGRAMS.map((p) => getTokenAccounts(this.env, owner, p)));
    return lists.flat().reduce((s, a) => (a.mint === mint ? s + BigInt(a.amount) : s), 0n);
  }

  protected async entriesLeaderSold(notice: LeaderSaleNotice): Promise<LeaderSaleResult> {
    return this.env.SWAP_QUEUE.getByName("default").leaderSold(notice);
  }

  protected async mirrorExit(positionId: string, req: MirrorExitRequest): Promise<MirrorExitResult> {
    return this.env.POSITION_ACTOR.getByName(positionId).mirrorExit(req);
  }

  private classification(row: Row): { tx: HeliusTx; c: Classification } {
    const parsed = parsePayload(row.payload);
    if (!parsed.success) throw parsed.error;
    const tx = parsed.data;
    return { tx, c: classify(tx, this.address() as string) };
  }

  /** BUY: breaker → copy rules → token safety → sizing → exposure → enqueue a NORMAL entry. */
  private async processBuy(row: Row, config: Config) {
    // An entry is retried while the trade is still fresh — for as long again as max_signal_age_seconds after
    // its reception — then given up (WallTrack never chases an old trade). Exits are retried forever.
    const retryUntil = entryRetryUntil(row.received_at_ms, config.max_signal_age_seconds);
    const current = this.row(row.signature)?.decision ?? row.decision; // a SELL may have cancelled it since
    const stored = current ? (JSON.parse(current) as EntryDecision | CancelledDecision) : null;
    if (stored?.kind === "cancelled") {
      await this.finish(row, { filter_reason: stored.reason }, `the leader sold the mint (${stored.by})`);
      return;
    }
    let decision = stored;
    if (!decision) {
      decision = await decideEntry(this.entryPorts(), row, config);
      if (!decision) return; // filtered and finished
      this.inboxStore.saveDecision(row.signature, decision);
      // Counted as this leader's entry in the mint from now on, while its enqueue is retried too.
      this.trades.entered(row.signature, decision.request.requested_usd ?? null, null);
    }
    try {
      const result = await this.enqueueEntry(decision.request);
      // The queue may refuse the entry itself (its own breaker gate): the signal says why.
      const cancelled = queueRefusal(result);
      // A refused entry is no first entry (a later BUY of the mint may go); a queued one names its order.
      this.trades.entered(row.signature, cancelled ? null : (decision.request.requested_usd ?? null), result.order_id);
      await this.finish(
        row,
        { order_id: result.order_id, entry_usd: decision.request.requested_usd ?? null, filter_reason: cancelled },
        cancelled ? "cancelled by the SwapQueue" : undefined,
      );
      log.debug("entry_enqueued", { signature: row.signature, order_id: result.order_id, duplicate: result.duplicate });
    } catch (err) {
      if (Date.now() > retryUntil) {
        this.trades.entered(row.signature, null, null);
        await this.finish(row, { filter_reason: "enqueue_failed" }, errorMessage(err));
        return;
      }
      throw err;
    }
  }

  /** The actor's side of the entry decision (src/pipeline/wallet-entry.ts): each call resolved on `this` when made. */
  private entryPorts(): EntryPorts {
    return {
      address: () => this.address() as string,
      classification: (row) => this.classification(row),
      finish: (row, fields, detail, numbers) => this.finish(row, fields, detail, numbers),
      trades: this.trades,
      hotState: (address) => this.hotState(address),
      readAhead: (mint) => {
        this.env.PRICE_FEED.getByName("default")
          .readAhead([mint])
          .catch(() => undefined);
      },
      solUsd: () => this.solUsd(),
      copyFacts: (address, mint, signature, cooldown) => this.copyFacts(address, mint, signature, cooldown),
      tokenSafety: (mint, config) => this.tokenSafety(mint, config),
      tokenDecimals: (mint) => this.tokenDecimals(mint),
      outbox: this.outbox,
      updateSignal: async (id, values) => {
        await this.db.update(signals).set(values).where(eq(signals.id, id));
      },
    };
  }

  /**
   * The trade log copied from D1 once (an actor that existed before it), the only D1 read it needs; a failure
   * fails the step, retried like any other.
   */
  private async tradesReady() {
    if (this.trades.seeded()) return;
    const rows = await tradesFromD1(this.db, this.address() as string);
    if (this.trades.seeded()) return;
    this.trades.seed(rows);
  }

  /**
   * The facts the copy rules need (see domain/copy-rules.ts), from actor state: this actor's trade log and the
   * SwapQueue's book (one RPC). D1 only where the book cannot answer: not loaded yet, or closes it never saw
   * within the mint's cooldown (positions older than the book).
   */
  private async copyFacts(address: string, mint: string, signature: string, cooldownSeconds: number) {
    const entries = this.trades.trades(mint, "buy").filter((t) => t.signature !== signature && t.entry_usd !== null);
    const facts = await this.queueEntryFacts({
      leader_address: address,
      token_mint: mint,
      order_ids: entries.flatMap((e) => (e.order_id ? [e.order_id] : [])),
    });
    if (!facts) return copyFactsFromD1(this.db, address, mint, signature);
    // The first entry of this leader in this mint: a position, or an entry decided whose order did not fail.
    const live = firstLiveEntry(entries, facts.order_states);
    const lastExit = cooldownNeedsHistory(facts, Date.now(), cooldownSeconds)
      ? await lastExitFromD1(this.db, mint)
      : facts.last_exit_at_ms;
    return {
      prior_entry_usd: facts.first_position_usd ?? live?.entry_usd ?? null,
      last_exit_at_ms: lastExit,
      open_positions: facts.open_positions,
      exposure_usd: facts.exposure_usd,
    };
  }

  /**
   * SELL: mirror the leader's exit on every copy of its earlier BUYs of the mint (issue 9, DESIGN §4): the open
   * positions, and the entries still in flight — in this inbox (cancelled before they are enqueued), waiting in
   * the SwapQueue (cancelled there), or executing / filled and not yet open (their PositionActor keeps the exit
   * owed until it opens).
   */
  private async processSell(row: Row) {
    const address = this.address() as string;
    const { tx, c } = this.classification(row);
    let decision = row.decision ? (JSON.parse(row.decision) as ExitDecision) : null;
    if (!decision) {
      decision = await decideExit(this.exitPorts(), address, tx, c, row);
      this.inboxStore.saveDecision(row.signature, decision);
    }
    if (decision.position_ids.length === 0) {
      // A sale that cancelled in-flight entries did its job; otherwise nothing was there to mirror.
      await this.finish(row, {
        ...(await this.pricedFields(c)),
        leader_balance_before: decision.leader_balance_before,
        filter_reason: nothingToMirror(decision.cancelled_entries?.length ?? 0, !!row.wallet_active),
      });
      return;
    }
    for (const id of decision.position_ids) {
      if (decision.done.includes(id)) continue;
      const res = await this.mirrorExit(id, {
        // The signature keys the exit; a row recorded by an older version keeps its signal id (same key as before).
        ...(row.signal_id !== null ? { signal_id: row.signal_id } : {}),
        transaction_signature: row.signature,
        leader_address: address,
        token_mint: c.token_mint as string,
        fraction: decision.fraction,
      });
      decision.done.push(id);
      decision.order_id ??= res.order_id ?? null;
      this.inboxStore.saveDecision(row.signature, decision); // progress survives a failure on the next position
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

  /** The actor's side of the exit decision (src/pipeline/wallet-exit.ts): each call resolved on `this` when made. */
  private exitPorts(): ExitPorts {
    return {
      cancelInboxEntries: (sale, mint, point) => this.cancelInboxEntries(sale, mint, point),
      entriesLeaderSold: (notice) => this.entriesLeaderSold(notice),
      queueOpenCopies: (q) => this.queueOpenCopies(q),
      openCopiesFromD1: (address, mint, soldAt) => openCopiesFromD1(this.db, address, mint, soldAt),
      trades: this.trades,
      leaderTokenBalance: (owner, mint) => this.leaderTokenBalance(owner, mint),
    };
  }

  /**
   * Marks this leader's BUYs of the mint still in the inbox — delivered before the SELL, made before it on chain —
   * as cancelled `leader_exited`. Synchronous: the alarm finishes them without enqueuing. (A BUY delivered after
   * the SELL is filtered `leader_already_sold` when decided.) Returns their signatures.
   */
  private cancelInboxEntries(saleSignature: string, mint: string, sale: ChainPoint): string[] {
    const address = this.address() as string;
    const rows = this.inboxStore.possibleBuysBefore(saleSignature);
    const out: string[] = [];
    for (const r of rows) {
      const verdict = inboxRowOnSale(r, address, mint, sale, saleSignature);
      if (verdict === "keep") continue;
      if (verdict === "cancel")
        this.inboxStore.saveDecision(r.signature, { kind: "cancelled", reason: "leader_exited", by: saleSignature });
      out.push(r.signature);
    }
    if (out.length) log.info("entries_cancelled_leader_exited", { sale: saleSignature, entries: out });
    return out;
  }

  /** Identity and health of this instance. */
  async status(): Promise<{ actor: string; id: string; name: string | null }> {
    return { actor: "WalletActor", id: this.ctx.id.toString(), name: this.ctx.id.name ?? null };
  }
}
