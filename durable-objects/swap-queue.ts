import { DurableObject } from "cloudflare:workers";
import { getDb } from "../src/db/client";
import { alarmHeartbeat } from "../src/db/heartbeats";
import type { Config } from "../src/domain/config";
import { enqueueCancelReason, enqueueNeedsHotState, enqueueResult } from "../src/domain/enqueue-decision";
import type { EnqueueResult, LeaderSaleNotice, LeaderSaleResult, SwapRequest } from "../src/domain/swap-order";
import { requestProblem } from "../src/domain/swap-request";
import { CoalescedRun } from "../src/lib/coalesced-run";
import { errorMessage } from "../src/lib/error-message";
import { log } from "../src/lib/logger";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { type HotSnapshot, HotStateStore } from "../src/pipeline/hot-state";
import { LiveQueueRunner, type LiveSellable } from "../src/pipeline/live-queue";
import { nextAlarmAt, nextExecutable } from "../src/pipeline/queue-alarm";
import { QueueBook } from "../src/pipeline/queue-book";
import { bookReady } from "../src/pipeline/queue-book-seed";
import { SwapBucket } from "../src/pipeline/queue-bucket";
import { type ExecuteDeps, executeBuy, executeLive, executeSell } from "../src/pipeline/queue-execute";
import {
  type EntryFacts,
  type EntryFactsQuery,
  entryFacts,
  type OpenCopies,
  type OpenCopiesQuery,
  openCopies,
} from "../src/pipeline/queue-facts";
import { healOpenOrders } from "../src/pipeline/queue-heal";
import { loadQueueHotState, type PositionHotState, type QueueHotState } from "../src/pipeline/queue-hot-state";
import { isLeaderExited } from "../src/pipeline/queue-leader-exits";
import { applyLeaderSale } from "../src/pipeline/queue-leader-sale";
import {
  type OutcomeStore,
  recordCancel,
  recordEnqueue,
  recordFailure,
  recordFill,
  recordWait,
} from "../src/pipeline/queue-outcome-record";
import type { Outcome } from "../src/pipeline/queue-outcomes";
import { OwedLedger } from "../src/pipeline/queue-owed";
import { positionSnapshot, positionStartOf } from "../src/pipeline/queue-position-hot";
import { RunPrices } from "../src/pipeline/queue-run-prices";
import { queueStatus } from "../src/pipeline/queue-status";
import { runOwedStep } from "../src/pipeline/queue-step-dispatch";
import {
  createQueueTables,
  deadLetterOf,
  deleteDeadLetter,
  orderStatesOf,
  pendingAndOwed,
  type QueueRow,
  type QueueState,
  queueRowByKey,
  writeMeta,
} from "../src/pipeline/queue-storage";
import type { SimQuoteDeps } from "../src/pipeline/sim-quote";

/**
 * SwapQueue (singleton "default"): the one executor of swaps (DESIGN §1, §4 "Swap priorities").
 *
 * - Persistent priority queue in this object's SQLite: CRITICAL > URGENT > NORMAL > LOW, oldest first.
 * - Idempotent by `idempotency_key` (unique here and in D1).
 * - The intent is the queue row in this object's SQLite (issue 10: decided from actor state, no D1 read on the
 *   hot path); the D1 `orders` row is written behind it (an owed `d1_order` step, the intent insert and the
 *   outcome in one guarded batch), and a live order waits until its intent is in D1 before any upstream call.
 * - The book caps are judged from the queue's own book (src/pipeline/queue-book.ts), written with each fill.
 * - Each alarm executes the due orders in priority order (up to MAX_PER_RUN); the alarm re-arms in `finally`
 *   and is safe to run twice (an order is picked only while `pending`, an already-filled order is not re-filled).
 * - Rate limit: only real upstream swap calls are limited, by a token bucket (`jupiter_swaps_per_second`,
 *   `jupiter_swap_burst`; arithmetic in src/domain/token-bucket.ts, state in this object's `meta`, so eviction
 *   neither refills nor empties it). A live order is picked only when a token is there, and takes it right
 *   before its upstream call; a simulated fill never waits for a token (its quote takes only a spare one,
 *   src/pipeline/sim-quote.ts). While the
 *   bucket is empty, live orders wait and the next token goes to the highest priority (exits before entries).
 * - `swap_min_spacing_ms` (deprecated as a rate limit, default 0) is only an optional minimum gap between
 *   any two executions, for an operator who wants to slow everything down.
 * - An open circuit breaker cancels NORMAL entries (`circuit_breaker`), at enqueue and at execution; exits run.
 * - Failures retry with exponential backoff up to `max_swap_retries`, then the order is dead-lettered.
 * - A missing price is not a failure: the order waits (exits forever; entries until the signal is stale).
 * - Owed work (DESIGN §1): an outcome (fill, cancel, dead letter) is recorded here in ONE storage transaction
 *   together with every step it still owes elsewhere (the D1 order row, opening the position or applying the
 *   exit fill, releasing the exit, marking the signal). Each step is idempotent, runs at once, and on failure
 *   is retried by the alarm with backoff until done; a step never re-executes the swap. So a filled order
 *   never becomes pending again, and a failed D1 write or actor call cannot wedge a position.
 */
/** Executions per alarm run: bounded so one alarm never runs long; the re-arm picks up the rest at once. */
const MAX_PER_RUN = 25;

export class SwapQueue extends DurableObject<Env> {
  private running = false;
  /** The write-behind (`flushBehind`): one pass at a time, rows owed meanwhile in its next pass. */
  private readonly behind = new CoalescedRun(() => this.rearm());
  /** The order `execute` is working on (memory is enough: an eviction aborts that execution with it). */
  private executing: string | null = null;
  private book!: QueueBook;
  private liveRunner!: LiveQueueRunner;
  private readonly owed: OwedLedger;
  /** The token bucket of real upstream swap calls (src/pipeline/queue-bucket.ts). */
  private readonly bucket: SwapBucket;
  /** Config, breaker and strategy templates, pushed by their writers (src/pipeline/queue-hot-state.ts). */
  private readonly hot: HotStateStore<QueueHotState>;
  /** What an execution reads and calls back (src/pipeline/queue-execute.ts); each read made when it is used. */
  private readonly exec: ExecuteDeps = {
    env: () => this.env,
    breakerOpen: async () => (await this.hotState()).breaker.open,
    bookReady: () => this.bookReady(),
    exposure: () => this.book.exposure(),
    leaderExited: (orderId) => isLeaderExited(this.ctx.storage.sql, orderId),
    live: (row, cfg, sell) => this.live(row, cfg, sell),
    quoteOf: (mint) => this.prices.quoteOf(mint),
    simQuotes: () => this.simQuotes(),
    positionStart: (strategyId) => positionStartOf(this.hot.current(), strategyId),
  };
  /** Where an outcome is written with what it owes (src/pipeline/queue-outcome-record.ts). */
  private get outcomes(): OutcomeStore {
    return { storage: this.ctx.storage, owed: this.owed };
  }
  /** Prices read once for the run in progress (src/pipeline/queue-run-prices.ts). */
  private readonly prices: RunPrices;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hot = new HotStateStore<QueueHotState>(ctx.storage.sql);
    this.bucket = new SwapBucket(ctx.storage.sql);
    this.prices = new RunPrices(() => this.env, ctx.storage.sql);
    attachUpstreamHealth(env); // upstream breaker state → D1 status (issue 12)
    this.owed = new OwedLedger(
      ctx.storage.sql,
      () => this.db,
      (step, orderId) => runOwedStep(this.env, this.owed, step, orderId),
    );
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      createQueueTables(sql);
      this.book = new QueueBook(sql);
      this.liveRunner = new LiveQueueRunner({
        storage: ctx.storage,
        env: () => this.env,
        owed: this.owed,
        book: () => this.book,
        takeToken: (cfg) => this.bucket.takeOrWaitMs(cfg),
        holdTokensUntil: (until) => this.bucket.holdUntil(this.hot.current()?.data.config, until),
      });
    });
  }

  private get db() {
    return getDb(this.env.DB);
  }

  /**
   * Persists a swap intent (idempotent by `idempotency_key`) in this object's SQLite, with its D1 row owed in
   * the same write, and arms the executor. Decided from the hot state, no D1 round trip: a simulated order's
   * D1 row goes with the next run's batch (retried until written); a live order's is tried at once, and it
   * executes only once it is in D1.
   */
  async enqueue(req: SwapRequest): Promise<EnqueueResult> {
    const problem = requestProblem(req);
    if (problem) throw new TypeError(`invalid swap request: ${problem}`);

    const existing = this.rowByKey(req.idempotency_key);
    if (existing) return enqueueResult(existing, true);

    const now = Date.now();
    const hot = enqueueNeedsHotState(req) ? await this.hotState() : null;
    const cancelReason = hot ? enqueueCancelReason(req, hot, now) : null;
    // A concurrent enqueue of the same key may have won the race while the hot state was awaited.
    const raced = this.rowByKey(req.idempotency_key);
    if (raced) return enqueueResult(raced, true);

    const orderId = `ord_${crypto.randomUUID()}`;
    recordEnqueue(this.outcomes, orderId, req, cancelReason, now);
    // A live intent reaches D1 before any upstream call (DESIGN §1: written now, and `live` waits for it). A
    // simulated one lives in this queue's SQLite: its D1 row is written behind, never awaited (the fill does
    // not wait for it); a failure stays owed, re-armed for the alarm's retry. A simulated entry enqueued with
    // no run on is left to the run started below (it fills within milliseconds, and its intent and fill go in
    // that run's one batch); anything else is written at once, beside whatever runs.
    if (req.mode === "live") await this.owed.run(orderId);
    else if (cancelReason || this.running || req.side !== "buy") this.ctx.waitUntil(this.flushBehind());
    await this.rearm();
    // Executed now rather than when the alarm fires (the alarm armed above stays the safety net).
    if (!cancelReason) this.ctx.waitUntil(this.runNow());
    const row = this.rowByKey(req.idempotency_key) as QueueRow;
    return { ...enqueueResult(row, false), cancel_reason: cancelReason ?? undefined };
  }

  /**
   * The leader sold the mint: its entries made before the sale and not executed yet are cancelled
   * (`leader_exited`); those executing or filled are returned in flight, their positions owed the mirror exit.
   * The mark is written before any await, so an execution that starts meanwhile refuses to fill (executeBuy
   * checks it right before the fill); a filled order (queue state done, recorded in the fill's own write) is
   * never cancelled: its tokens are bought and must become a position.
   */
  async leaderSold(notice: LeaderSaleNotice): Promise<LeaderSaleResult> {
    return applyLeaderSale(
      {
        sql: this.ctx.storage.sql,
        started: (orderId) => this.executing === orderId || this.liveRunner.started(orderId),
        cancel: (row, req, reason) => this.cancel(row, req, reason),
      },
      notice,
    );
  }

  /**
   * A WalletActor's entry facts from this queue's book and orders (src/pipeline/queue-facts.ts, issue 10);
   * null while the book is not loaded (the caller reads D1).
   */
  async entryFacts(q: EntryFactsQuery): Promise<EntryFacts | null> {
    if (!(await this.bookReady())) return null;
    return entryFacts(this.ctx.storage.sql, this.book, q);
  }

  /** The open positions copied from a leader's BUYs of a mint made before its sale; null: book not loaded. */
  async openCopies(q: OpenCopiesQuery): Promise<OpenCopies | null> {
    if (!(await this.bookReady())) return null;
    return openCopies(this.ctx.storage.sql, q);
  }

  override async alarm(): Promise<void> {
    const startedAt = Date.now();
    let error: string | null = null;
    try {
      // Owed actor steps first: they are cheap, never wait for the spacing, and unblock positions. The D1
      // write-behind waits until after the executions (a fill never waits for D1).
      await this.owed.run(undefined, { d1: false });
      // The D1 rows of what this run executed, in one batch behind the decisions (issue 10). A run already
      // on (an enqueue's) writes them at its end: written now, an entry's intent would go without its fill.
      if (await this.runDue()) await this.flushBehind();
    } catch (err) {
      error = errorMessage(err);
      throw err;
    } finally {
      await this.rearm();
      await alarmHeartbeat(this.env.DB, "swap_queue", { startedAt, outcome: error ? "error" : "ok", error });
    }
  }

  /** Watchdog (hourly cron): pending orders and owed steps must have an alarm; re-arms it when it was lost. */
  async ensureScheduled(): Promise<{ rearmed: boolean; pending: number; owed: number }> {
    const { pending, owed } = pendingAndOwed(this.ctx.storage.sql);
    if (pending + owed === 0 || (await this.ctx.storage.getAlarm()) != null) return { rearmed: false, pending, owed };
    await this.rearm();
    return { rearmed: (await this.ctx.storage.getAlarm()) != null, pending, owed };
  }

  /**
   * Watchdog (hourly cron): D1 orders still open (pending…) that this queue no longer holds as pending are
   * healed. An outcome recorded here has its D1 step replayed; an order this queue never recorded (its enqueue
   * stopped after the D1 insert and was never retried) is dead-lettered with its release and signal steps, so
   * a dead BUY never stays pending in D1 (counted as exposure, blocking the mint as already_bought).
   */
  async healOrders(): Promise<{ checked: number; replayed: number; orphaned: number }> {
    const res = await healOpenOrders(this.ctx.storage, this.db, this.owed);
    await this.rearm();
    return res;
  }

  /**
   * The queue's own state of some orders, for a PositionActor checking that its queued exits are still live:
   * `pending` (waiting or executing), `done` (filled; its fill is owed to the position if not yet applied),
   * `cancelled`, `dead`, or null when this queue never held the order.
   */
  async orderStates(orderIds: string[]): Promise<Record<string, QueueState | null>> {
    return orderStatesOf(this.ctx.storage.sql, orderIds);
  }

  /** Queue depth per priority, the next run, the dead letters and the owed steps still to do, for the operator. */
  async status() {
    return queueStatus(this.ctx, this.bucket);
  }

  /** One dead letter with its original request (for the operator's retry), or null when there is none. */
  async deadLetter(orderId: string): Promise<{ order_id: string; attempts: number; request: SwapRequest } | null> {
    return deadLetterOf(this.ctx.storage.sql, orderId);
  }

  /**
   * The operator discards a dead letter: only the record leaves the list. The order stays `dead` in D1 and its
   * release already ran (queued with the dead letter in one transaction), so nothing is owed by discarding.
   */
  async discardDeadLetter(orderId: string): Promise<boolean> {
    const discarded = deleteDeadLetter(this.ctx.storage.sql, orderId);
    if (discarded) log.info("dead_letter_discarded", { order_id: orderId });
    return discarded;
  }

  // ------------------------------------------------------------------ execution

  /** Executes the due orders; false: a run was already on (it re-arms and writes behind in its own end). */
  private async runDue(): Promise<boolean> {
    if (this.running) return false; // a forced run while one is executing: the finally of the first re-arms
    this.running = true;
    try {
      const cfg = await this.hotConfig();
      if (cfg.swap_min_spacing_ms === 0) await this.prices.prefetch(MAX_PER_RUN);
      for (let n = 0; n < MAX_PER_RUN; n++) {
        const row = nextExecutable(this.ctx.storage.sql, this.bucket, cfg, Date.now());
        if (!row) return true;
        await this.execute(row, cfg);
      }
      return true;
    } finally {
      this.running = false;
      this.prices.clear();
    }
  }

  private async execute(row: QueueRow, cfg: Config): Promise<void> {
    const req = JSON.parse(row.request) as SwapRequest;
    writeMeta(this.ctx.storage.sql, "last_execution_ms", String(Date.now()));
    let outcome: Outcome;
    this.executing = row.order_id;
    try {
      const started = performance.now();
      // A live order the executor started resumes there: its refusals were checked when it started.
      outcome =
        req.mode === "live" && this.liveRunner.started(row.order_id)
          ? await this.live(row, cfg)
          : req.side === "buy"
            ? await executeBuy(this.exec, row, req, cfg, started)
            : await executeSell(this.exec, row, req, cfg, started);
    } catch (err) {
      if (recordFailure(this.outcomes, row, req, err, cfg.max_swap_retries) === "dead")
        await this.settleOwed(row.order_id);
      return;
    } finally {
      this.executing = null;
    }
    if (outcome.kind === "filled") {
      recordFill(this.outcomes, this.book, row, req, outcome);
      // The position at once (actor state), but not in the way of the next order: the fill is already final
      // and owes the call (an eviction leaves it to the alarm). The D1 rows go with the run's batch.
      this.ctx.waitUntil(this.actorStepsBehind(row.order_id));
    } else if (outcome.kind === "settled") {
      await this.owed.run(row.order_id, { d1: false });
    } else if (outcome.kind === "cancelled") {
      await this.cancel(row, req, outcome.reason);
    } else {
      recordWait(this.outcomes, row.order_id, outcome.delay_ms, outcome.reason);
    }
  }

  /** A live order, run or resumed by the live runner once its D1 intent is written (queue-execute.ts). */
  private live(row: QueueRow, cfg: Config, sell?: LiveSellable): Promise<Outcome> {
    return executeLive(this.liveRunner, this.ctx.storage.sql, row, cfg, sell);
  }

  /**
   * Reconciliation closed a position `sold_externally` (its PositionActor, not a fill of this queue): the book
   * stops counting it against the caps. Idempotent; the actor repeats it with every repeat of the close.
   */
  async positionClosedOutside(positionId: string): Promise<void> {
    this.book.closedOutside(positionId);
  }

  /** The book is loaded from D1 once (its first use after an upgrade), with the openings still owed here. */
  private bookReady(): Promise<boolean> {
    return bookReady(this.book, this.db, this.ctx.storage.sql);
  }

  private async cancel(row: QueueRow, req: SwapRequest, reason: string): Promise<void> {
    recordCancel(this.outcomes, row, req, reason);
    await this.settleOwed(row.order_id);
  }

  /**
   * A run started by an enqueue, the alarm's work without waiting for it to fire: the due orders, then their
   * D1 rows behind. Guarded like the alarm (one run at a time); whatever it leaves is re-armed for the alarm.
   */
  private async runNow(): Promise<void> {
    if (this.running) return;
    try {
      await this.runDue();
      await this.flushBehind();
    } catch (err) {
      log.warn("swap_queue_run_failed", { error: String(err), retry: "alarm" });
    } finally {
      await this.rearm();
    }
  }

  /** After an outcome: its actor steps now (they unblock positions), its D1 rows behind. */
  private async settleOwed(orderId: string): Promise<void> {
    await this.owed.run(orderId, { d1: false });
    this.ctx.waitUntil(this.flushBehind());
  }

  /**
   * The owed rows written behind, one pass at a time: calls while a pass runs share one more pass after it, so
   * the D1 rows of orders decided meanwhile (a burst) go in one batch, not one each. What fails stays owed and
   * is re-armed for the alarm.
   */
  private flushBehind(): Promise<void> {
    return this.behind.run(async () => {
      try {
        await this.owed.run();
      } catch (err) {
        log.warn("order_write_behind_failed", { error: String(err) });
        return false;
      }
    });
  }

  /**
   * A fill's owed actor steps (its position's open or fill) in the background, beside the next executions; its
   * D1 rows go with the run's write-behind. What fails (or changed meanwhile) is left to the alarm, re-armed here.
   */
  private async actorStepsBehind(orderId: string): Promise<void> {
    try {
      await this.owed.run(orderId, { d1: false });
    } catch (err) {
      log.warn("order_write_behind_failed", { order_id: orderId, error: String(err) });
    } finally {
      await this.rearm();
    }
  }

  // ------------------------------------------------------------------ swap token bucket

  /** The simulated fill's quote (src/pipeline/sim-quote.ts): a spare token of this bucket, never waited for. */
  private simQuotes(): SimQuoteDeps {
    return { env: this.env, sql: this.ctx.storage.sql, bucket: this.bucket };
  }

  /** One alarm for the earliest due work: an order never before the spacing allows, an owed step when due. */
  private async rearm(): Promise<void> {
    // A run still executing re-arms in its own finally; arming now would only spin duplicate alarms.
    if (this.running) return;
    const at = await nextAlarmAt(this.ctx.storage.sql, this.owed.running, this.bucket, () =>
      this.hotConfig().catch(() => null),
    );
    if (at == null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current == null || current > at || current < Date.now()) await this.ctx.storage.setAlarm(at);
  }

  // ------------------------------------------------------------------ hot state

  /** The push (src/pipeline/queue-hot-state.ts): a newer snapshot replaces the cached one, an older is ignored. */
  async applyHotState(snapshot: HotSnapshot<QueueHotState>): Promise<{ applied: boolean; version: number }> {
    return this.hot.apply(snapshot);
  }

  /** The cached snapshot's version (null: none yet), for tests and diagnostics. */
  async hotStateVersion(): Promise<number | null> {
    return this.hot.current()?.version ?? null;
  }

  /**
   * A PositionActor's config, by version: the snapshot when this queue holds a newer one than `known` (a
   * position that holds none passes null), else null. Positions ask before each decision, so a change pushed
   * here reaches every open position without a push per position and without a D1 read.
   */
  async positionHotState(known: number | null): Promise<HotSnapshot<PositionHotState> | null> {
    const data = await this.hotState();
    return positionSnapshot(data, this.hot.current()?.version ?? 0, known);
  }

  /** What the decisions read instead of D1; loaded from D1 only by a queue that has no snapshot yet. */
  private hotState(): Promise<QueueHotState> {
    return this.hot.get(() => loadQueueHotState(this.env.DB));
  }

  private async hotConfig(): Promise<Config> {
    return (await this.hotState()).config;
  }

  // ------------------------------------------------------------------ small helpers

  private rowByKey(key: string): QueueRow | undefined {
    return queueRowByKey(this.ctx.storage.sql, key);
  }
}
