import { DurableObject } from "cloudflare:workers";
import { getDb } from "../src/db/client";
import { alarmHeartbeat } from "../src/db/heartbeats";
import type { SafetyOutcome } from "../src/db/token-safety";
import type { Config } from "../src/domain/config";
import { afterFailure, MAX_INBOX_ATTEMPTS } from "../src/domain/inbox-retry";
import { chainKey, classifyPayload } from "../src/domain/record-filter";
import type {
  EnqueueResult,
  LeaderSaleNotice,
  LeaderSaleResult,
  MirrorExitRequest,
  MirrorExitResult,
  SwapRequest,
} from "../src/domain/swap-order";
import { alarmAfterRun, SAFETY_NET_MS } from "../src/domain/wallet-alarm";
import { errorMessage } from "../src/lib/error-message";
import { log } from "../src/lib/logger";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { type HotSnapshot, HotStateStore } from "../src/pipeline/hot-state";
import { KeyedChains } from "../src/pipeline/mint-chains";
import type { EntryFacts, EntryFactsQuery, OpenCopies, OpenCopiesQuery } from "../src/pipeline/queue-facts";
import { sharedWrite } from "../src/pipeline/shared-d1-write";
import { SignalLog } from "../src/pipeline/signal-log";
import { SignalOutbox } from "../src/pipeline/signal-outbox";
import { assessSafety, tokenSafetyOf } from "../src/pipeline/token-safety-shard";
import { type CopyFactsPorts, copyFactsOf } from "../src/pipeline/wallet-copy-facts";
import { openCopiesFromD1, seedTradesFromD1 } from "../src/pipeline/wallet-d1-fallbacks";
import { type BuyPorts, processBuy } from "../src/pipeline/wallet-entry";
import { cancelInboxEntries, processSell, type SellPorts } from "../src/pipeline/wallet-exit";
import { loadWalletHotState, type WalletHotState } from "../src/pipeline/wallet-hot-state";
import type { InboxRow, Row } from "../src/pipeline/wallet-inbox";
import { InboxStore, isActive } from "../src/pipeline/wallet-inbox-store";
import { leaderTokenBalanceOf, solReferencePrice } from "../src/pipeline/wallet-lookups";
import { SignalFlush } from "../src/pipeline/wallet-signal-flush";
import {
  finishSignal,
  markSignal,
  recordParkedSignal,
  recordSignal,
  type SignalPorts,
} from "../src/pipeline/wallet-signals";

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

export { MAX_INBOX_ATTEMPTS };

/** What the pipeline's steps of a row call back on (src/pipeline/wallet-entry.ts, wallet-exit.ts, wallet-signals.ts). */
type WalletPorts = BuyPorts & SellPorts & SignalPorts & CopyFactsPorts;

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
  /** The one flush of the outbox to D1 at a time (src/pipeline/wallet-signal-flush.ts). */
  private readonly flush: SignalFlush;
  /** Built once; every port calls through `this` when called, so a member a test patches is still seen. */
  private readonly ports: WalletPorts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hot = new HotStateStore<WalletHotState>(ctx.storage.sql);
    this.trades = new SignalLog(ctx.storage.sql);
    this.outbox = new SignalOutbox(ctx.storage.sql);
    this.inboxStore = new InboxStore(ctx.storage.sql);
    this.ports = this.makePorts();
    this.flush = new SignalFlush(
      this.outbox,
      () => this.db,
      (queries) => sharedWrite(this.env, queries),
      (at) => this.armAlarm(at),
    );
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
    await seedTradesFromD1(this.trades, this.db, this.address() as string); // an actor older than its trade log
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
      const held = (signature: string) => this.chains.holds(signature);
      const next = alarmAfterRun(soonest, held, this.outbox.soonest(), Date.now(), minDelay);
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

  /** Writes the queued signals to D1 (src/pipeline/wallet-signal-flush.ts): one flush at a time, never failing a decision. */
  private flushSignals(now?: number): Promise<void> {
    return this.flush.run(now);
  }

  private async processRow(r: Row, config: Config, now: number) {
    if (r.state === "parking") {
      await recordParkedSignal(this.ports, r, now);
      return;
    }
    try {
      let row: Row | undefined = r;
      if (row.state === "received") {
        await this.record(row, config);
        row = this.row(r.signature);
      }
      if (row?.state !== "recorded") return;
      if (row.signal_type === "buy") await processBuy(this.ports, row, config);
      else if (row.signal_type === "sell") await processSell(this.ports, row);
      else await finishSignal(this.ports, row, {});
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

  /** Classifies the transaction and keeps its signal's values (src/pipeline/wallet-signals.ts). */
  private async record(row: Row, config: Config) {
    recordSignal(this.ports, row, config);
  }

  /** The SOL price in USD, or null: a price failure never loses the signal (PriceFeed may be down). */
  protected async solUsd(): Promise<number | null> {
    return solReferencePrice(this.env);
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
    return leaderTokenBalanceOf(this.env, owner, mint);
  }

  protected async entriesLeaderSold(notice: LeaderSaleNotice): Promise<LeaderSaleResult> {
    return this.env.SWAP_QUEUE.getByName("default").leaderSold(notice);
  }

  protected async mirrorExit(positionId: string, req: MirrorExitRequest): Promise<MirrorExitResult> {
    return this.env.POSITION_ACTOR.getByName(positionId).mirrorExit(req);
  }

  /** The actor's side of the pipeline's steps: each call resolved on `this` when made (tests patch the instance). */
  private makePorts(): WalletPorts {
    return {
      address: () => this.address() as string,
      inbox: this.inboxStore,
      outbox: this.outbox,
      trades: this.trades,
      transactionSync: (fn) => this.ctx.storage.transactionSync(fn),
      db: () => this.db,
      classification: (row) => classifyPayload(row.payload, this.address() as string),
      finish: (row, fields, detail, numbers) => finishSignal(this.ports, row, fields, detail, numbers),
      updateSignal: (id, values) => markSignal(this.db, id, values),
      hotState: (address) => this.hotState(address),
      readAhead: (mint) => {
        this.env.PRICE_FEED.getByName("default")
          .readAhead([mint])
          .catch(() => undefined);
      },
      solUsd: () => this.solUsd(),
      queueEntryFacts: (q) => this.queueEntryFacts(q),
      copyFacts: (address, mint, signature, cooldown) => copyFactsOf(this.ports, address, mint, signature, cooldown),
      tokenSafety: (mint, config) => this.tokenSafety(mint, config),
      tokenDecimals: (mint) => this.tokenDecimals(mint),
      enqueueEntry: (req) => this.enqueueEntry(req),
      cancelInboxEntries: (sale, mint, point) =>
        cancelInboxEntries(this.inboxStore, this.address() as string, sale, mint, point),
      entriesLeaderSold: (notice) => this.entriesLeaderSold(notice),
      queueOpenCopies: (q) => this.queueOpenCopies(q),
      openCopiesFromD1: (address, mint, soldAt) => openCopiesFromD1(this.db, address, mint, soldAt),
      leaderTokenBalance: (owner, mint) => this.leaderTokenBalance(owner, mint),
      mirrorExit: (positionId, req) => this.mirrorExit(positionId, req),
    };
  }

  /** Identity and health of this instance. */
  async status(): Promise<{ actor: string; id: string; name: string | null }> {
    return { actor: "WalletActor", id: this.ctx.id.toString(), name: this.ctx.id.name ?? null };
  }
}
