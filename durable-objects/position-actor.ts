import { DurableObject } from "cloudflare:workers";
import { getDb } from "../src/db/client";
import { positionUpsert } from "../src/db/positions-store";
import type { Config } from "../src/domain/config";
import type { StrategyRules } from "../src/domain/exit-strategy";
import type { ExitFill, OpenPositionInput, SellableRequest, SellableResult } from "../src/domain/position";
import { positionRules } from "../src/domain/position-calls";
import { sellableResult } from "../src/domain/position-exits";
import { type ActResult, strategyOverrideDecision } from "../src/domain/position-requests";
import type { PositionState, Status } from "../src/domain/position-state";
import type { MirrorExitRequest, MirrorExitResult } from "../src/domain/swap-order";
import { formatZodIssues } from "../src/lib/errors";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { type HotSnapshot, HotStateStore } from "../src/pipeline/hot-state";
import { rearmIfLost } from "../src/pipeline/position-alarm";
import { positionConfig } from "../src/pipeline/position-config";
import { ExitBook } from "../src/pipeline/position-exit-book";
import { applyFill, type FillAnswer } from "../src/pipeline/position-fill";
import { type ManualExitAnswer, type ManualExitRequest, requestExit } from "../src/pipeline/position-manual-exit";
import { mirrorExit } from "../src/pipeline/position-mirror-exit";
import { type OpenResult, openPosition } from "../src/pipeline/position-open";
import { runPoll } from "../src/pipeline/position-poll-run";
import type { PositionPorts } from "../src/pipeline/position-ports";
import { healExits, releaseExits } from "../src/pipeline/position-release";
import { closeSoldExternally, type SoldExternallyAnswer } from "../src/pipeline/position-sold-externally";
import { positionActorStatus, positionSummary } from "../src/pipeline/position-status";
import { createPositionTables, loadPositionState, savePositionState } from "../src/pipeline/position-storage";
import { StuckExits } from "../src/pipeline/position-stuck";
import { PositionD1Writer } from "../src/pipeline/position-write-behind";
import type { PositionHotState } from "../src/pipeline/queue-hot-state";
import { sharedWrite } from "../src/pipeline/shared-d1-write";

/**
 * PositionActor (one per position, named by its id): the one writer of its position (DESIGN §1).
 *
 * Its alarm is the adaptive price poll (20/30/60 s): read the price through the PriceFeed, update PnL,
 * evaluate the exit rules (src/domain/exit-rules.ts) and queue sells on the SwapQueue. An exit is first
 * recorded here as "decided" (with its idempotency key), then enqueued; a run that stops in between
 * re-enqueues it next time with the same key, so an exit is never lost nor queued twice.
 */
export type { ActResult };

export class PositionActor extends DurableObject<Env> {
  private state: PositionState | null = null;
  /** The config, versioned, taken from the SwapQueue (src/pipeline/queue-hot-state.ts); see hotConfig. */
  private readonly hot: HotStateStore<PositionHotState>;
  /** Its exits, fills, manual requests and ticks (src/pipeline/position-exit-book.ts). */
  private readonly exits: ExitBook;
  private stuckExits!: StuckExits;
  /** The D1 row, written behind (issue 10) and chained. */
  private readonly d1: PositionD1Writer;
  /** What the pipeline running its calls reaches it by (src/pipeline/position-ports.ts). */
  private readonly ports: PositionPorts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hot = new HotStateStore<PositionHotState>(ctx.storage.sql);
    this.exits = new ExitBook(ctx.storage.sql);
    this.d1 = new PositionD1Writer(
      ctx.storage.sql,
      () => this.state,
      (row) => sharedWrite(this.env, [positionUpsert(this.db, row)]),
    );
    this.ports = {
      state: () => this.state,
      setState: (st) => {
        this.state = st;
      },
      save: () => this.save(),
      storage: () => this.ctx.storage,
      waitUntil: (p) => this.ctx.waitUntil(p),
      env: () => this.env,
      db: () => this.db,
      hot: this.hot,
      exits: this.exits,
      d1: this.d1,
      now: () => this.now(),
      hotConfig: () => this.hotConfig(),
      swapQueue: () => this.swapQueue(),
      mirrorExit: (req) => this.mirrorExit(req),
    };
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      createPositionTables(sql);
      this.stuckExits = new StuckExits(sql);
      this.state = loadPositionState(sql);
    });
  }

  private get db() {
    return getDb(this.env.DB);
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Opens the position after its entry filled. Idempotent: a second open of the same id changes nothing in
   * the position, but re-arms its poll if it has none and re-writes the D1 row (a first call may have
   * persisted the state and then failed on D1), so the SwapQueue retrying an owed open always heals it.
   */
  async open(input: OpenPositionInput): Promise<OpenResult> {
    return openPosition(this.ports, input);
  }

  /**
   * The write-behind of the D1 row (the SwapQueue's owed `d1_position` step): resolves once D1 holds this
   * position's current state version, throws otherwise (the caller retries). A position not opened yet
   * throws too: its row is owed once the open lands.
   */
  async flushD1(): Promise<{ version: number }> {
    const st = this.state;
    if (!st) throw new Error("position not open yet");
    const version = st.version ?? 0;
    if (this.d1.version() >= version) return { version };
    await this.d1.sync();
    return { version: st.version ?? 0 };
  }

  /** The push (unused by the writers today: positions ask the queue), kept for a direct repair. */
  async applyHotState(snapshot: HotSnapshot<PositionHotState>): Promise<{ applied: boolean; version: number }> {
    return this.hot.apply(snapshot);
  }

  /** The cached config version (null: none yet), for tests and diagnostics. */
  async hotStateVersion(): Promise<number | null> {
    return this.hot.current()?.version ?? null;
  }

  /** The adaptive price poll. Never throws: a failed run records its error and retries at the urgent interval. */
  override async alarm(): Promise<void> {
    await runPoll(this.ports);
  }

  /** The clock of the exit rules (one method so a test can drive time deterministically). */
  protected now(): number {
    return Date.now();
  }

  // ------------------------------------------------------------------ SwapQueue callbacks

  /** What an exit order may sell now: a full exit takes what remains, a partial its amount capped by it. */
  async sellable(req: SellableRequest): Promise<SellableResult> {
    const st = this.state;
    if (!st) throw new Error("position not found");
    return sellableResult(st, req);
  }

  /**
   * Applies one filled exit. Idempotent per order id. What follows the fill here (the D1 row, the breaker
   * check of a closed trade) throws on failure, so the SwapQueue retries the call; a repeated call of a fill
   * already applied redoes only those follow-ups.
   */
  async applyFill(fill: ExitFill): Promise<FillAnswer> {
    return applyFill(this.ports, fill);
  }

  /** The queue's live exit of this position has no route (stuck, retried with backoff) or no longer (issue 11). */
  async exitStuck(orderId: string, stuck: boolean, code: string | null): Promise<void> {
    this.stuckExits.mark(orderId, stuck, code, nowIso());
  }

  /**
   * The queue gave up on an exit (cancelled or dead-lettered): it no longer holds back the remainder, and a
   * full exit that died may be decided again (with a new key generation) on a later tick.
   */
  async releaseOrder(orderId: string, outcome: "cancelled" | "dead", key?: string): Promise<void> {
    if (!this.state) return;
    await releaseExits(this.ports, [{ orderId, outcome, key }]);
  }

  // ------------------------------------------------------------------ operator and leader exits

  /** Sells the share of this position the leader sold (FR-7), at CRITICAL priority. Idempotent per signal. */
  async mirrorExit(req: MirrorExitRequest): Promise<MirrorExitResult> {
    return mirrorExit(this.ports, req, this.ctx.id.name);
  }

  /**
   * Manual exit of `percent` of what remains (100 = everything), at URGENT priority. With an
   * `idempotency_key`, the first request decides the exit and records the key with it in one storage
   * transaction (no await in between); a repeat with the same key and percent answers that same exit and
   * order (`replayed`), even after the position closed; the same key with another percent is a conflict.
   */
  async requestExit(input: ManualExitRequest): Promise<ManualExitAnswer> {
    return requestExit(this.ports, input);
  }

  /** Replaces the per-position override after validating it merged with the template. */
  async setStrategyOverride(override: unknown): Promise<ActResult<{ rules: StrategyRules }>> {
    const st = this.state;
    if (!st) return { ok: false, code: "not_found", detail: "position not found" };
    const decision = strategyOverrideDecision(st, override, formatZodIssues);
    if (!decision.ok) return decision;
    st.strategy_override = decision.override;
    this.save();
    await this.d1.sync();
    log.info("position_strategy_overridden", { position_id: st.id, fields: Object.keys(decision.override) });
    return { ok: true, rules: decision.rules };
  }

  // ------------------------------------------------------------------ reads

  /** Position, rules, exits and a price-history summary, for the API. */
  async summary() {
    return positionSummary(this.state, () => positionRules(this.state as PositionState), this.stuckExits, this.exits);
  }

  /**
   * Watchdog (hourly cron): an open position must always have its poll alarm. Alarms stop being retried
   * after six failures, so a lost one is re-armed here, due now. Returns whether it had to re-arm.
   */
  async ensureScheduled(): Promise<{ rearmed: boolean; status: Status | null; healed: number }> {
    const st = this.state;
    if (!st || st.status === "closed") return { rearmed: false, status: st?.status ?? null, healed: 0 };
    const rearmed = await rearmIfLost(this.ctx.storage, st.id);
    // After the re-arm, so that a queue that cannot answer now never costs the position its poll.
    const healed = await healExits(this.ports);
    return { rearmed, status: this.state?.status ?? st.status, healed };
  }

  /**
   * Reconciliation (issue 12): the trading wallet held none of this position's tokens on two consecutive
   * holdings snapshots, so they were sold outside WallTrack. Closes the position `sold_externally` here, its
   * one writer, so this state and D1 agree. Refused while an exit of ours is decided or queued (our own sale
   * explains the missing tokens) or when the position is not open. No proceeds are invented: realized PnL
   * stays the sum of WallTrack's own fills and the vanished amount is kept apart. Idempotent: a repeat of a
   * close already done only re-writes the D1 row (a first call may have stopped before it).
   */
  async closeSoldExternally(input: { observations: number }): Promise<SoldExternallyAnswer> {
    return closeSoldExternally(this.ports, input.observations);
  }

  /** Identity and health of this instance. */
  async status() {
    return positionActorStatus(this.ctx, this.state);
  }

  // ------------------------------------------------------------------ hot state

  /** The config each decision uses (src/pipeline/position-config.ts): the SwapQueue's, cached by version. */
  private hotConfig(): Promise<Config> {
    return positionConfig(
      this.hot,
      () => this.swapQueue(),
      () => this.db,
    );
  }

  /** The queue stub (one method so a test can put a faulty one in its place). */
  protected swapQueue() {
    return this.env.SWAP_QUEUE.getByName("default");
  }

  private save() {
    if (this.state) savePositionState(this.ctx.storage.sql, this.state);
  }
}
