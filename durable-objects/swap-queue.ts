import { DurableObject } from "cloudflare:workers";
import { breakerState } from "../src/db/circuit-breaker";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { alarmHeartbeat } from "../src/db/heartbeats";
import { getOrder, insertOrderIntent, markSignalFiltered, updateOrder } from "../src/db/orders-store";
import { bookExposure } from "../src/db/positions-store";
import { ORDER_PRIORITIES, type OrderRow } from "../src/db/schema";
import type { Config } from "../src/domain/config";
import { checkBookCaps } from "../src/domain/copy-rules";
import { positionIdFor } from "../src/domain/position";
import { simulateBuy, simulateSell } from "../src/domain/simulation";
import { type EnqueueResult, PRIORITY_RANK, type SwapRequest } from "../src/domain/swap-order";
import { log } from "../src/lib/logger";
import { nowIso } from "../src/lib/time";
import { attachUpstreamHealth } from "../src/ops/upstream-store";

/**
 * SwapQueue (singleton "default"): the one executor of swaps (DESIGN §1, §4 "Swap priorities").
 *
 * - Persistent priority queue in this object's SQLite: CRITICAL > URGENT > NORMAL > LOW, oldest first.
 * - Idempotent by `idempotency_key` (unique here and in D1).
 * - The D1 `orders` row (status pending) is the intent, written before any execution.
 * - One execution per alarm, at least `swap_min_spacing_ms` apart; the alarm re-arms in `finally` and is
 *   safe to run twice (an order is picked only while `pending`, an already-filled order is not re-filled).
 * - An open circuit breaker cancels NORMAL entries (`circuit_breaker`), at enqueue and at execution; exits run.
 * - Failures retry with exponential backoff up to `max_swap_retries`, then the order is dead-lettered.
 * - A missing price is not a failure: the order waits (exits forever; entries until the signal is stale).
 */
const PRICE_RETRY_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;

type QueueState = "pending" | "done" | "cancelled" | "dead";

type QueueRow = {
  seq: number;
  order_id: string;
  idempotency_key: string;
  priority: string;
  request: string;
  state: QueueState;
  attempts: number;
  not_before_ms: number;
  last_error: string | null;
  created_at_ms: number;
};

type Outcome =
  | { kind: "filled" }
  | { kind: "cancelled"; reason: string }
  | { kind: "wait"; reason: string; delay_ms: number };

/** A failure that no retry can fix (bad order, no executor for the mode): dead-lettered at once. */
class PermanentError extends Error {}

export class SwapQueue extends DurableObject<Env> {
  private running = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    attachUpstreamHealth(env); // upstream breaker state → D1 status (issue 12)
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      sql.exec(`CREATE TABLE IF NOT EXISTS queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id TEXT NOT NULL UNIQUE,
        idempotency_key TEXT NOT NULL UNIQUE,
        priority TEXT NOT NULL,
        priority_rank INTEGER NOT NULL,
        request TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before_ms INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at_ms INTEGER NOT NULL,
        finished_at_ms INTEGER
      )`);
      sql.exec("CREATE INDEX IF NOT EXISTS queue_due ON queue (state, priority_rank, seq)");
      sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
        order_id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL,
        request TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        died_at TEXT NOT NULL
      )`);
    });
  }

  private get db() {
    return getDb(this.env.DB);
  }

  /** Persists a swap intent (idempotent by `idempotency_key`) and arms the executor. */
  async enqueue(req: SwapRequest): Promise<EnqueueResult> {
    const problem = requestProblem(req);
    if (problem) throw new TypeError(`invalid swap request: ${problem}`);

    const existing = this.rowByKey(req.idempotency_key);
    if (existing) return this.resultFor(existing, true);

    const now = Date.now();
    let cancelReason: string | null = null;
    if (req.priority === "normal" && (await breakerState(this.db)).open) cancelReason = "circuit_breaker";

    const stored = await insertOrderIntent(this.db, {
      id: `ord_${crypto.randomUUID()}`,
      idempotency_key: req.idempotency_key,
      position_id: req.position_id ?? null,
      signal_id: req.signal_id ?? null,
      wallet_id: req.wallet_id,
      token_mint: req.token_mint,
      side: req.side,
      priority: req.priority,
      mode: req.mode,
      status: cancelReason ? "cancelled" : "pending",
      cancel_reason: cancelReason,
      reason: req.reason,
      requested_amount: req.sell_amount ?? null,
      requested_usd: req.requested_usd ?? null,
      sell_fraction: req.sell_fraction ?? null,
      expected_price_usd: req.trigger_price_usd ?? null,
      requested_at: nowIso(now),
    });
    // A concurrent enqueue of the same key may have won the race while D1 was awaited.
    const raced = this.rowByKey(req.idempotency_key);
    if (raced) return this.resultFor(raced, true);
    // A D1 row left by an earlier enqueue that stopped before this point: resume from its status
    // (a filled one stays pending here so that its post-fill step, which is idempotent, runs).
    const state: QueueState =
      stored.status === "cancelled" ? "cancelled" : stored.status === "dead" ? "dead" : "pending";
    this.ctx.storage.sql.exec(
      `INSERT INTO queue (order_id, idempotency_key, priority, priority_rank, request, state, last_error, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      stored.id,
      req.idempotency_key,
      req.priority,
      PRIORITY_RANK[req.priority],
      JSON.stringify(req),
      state,
      stored.cancel_reason,
      now,
    );
    if (cancelReason) log.info("order_cancelled", { order_id: stored.id, reason: cancelReason, side: req.side });
    else
      log.info("order_enqueued", { order_id: stored.id, side: req.side, priority: req.priority, reason: req.reason });
    await this.rearm();
    const row = this.rowByKey(req.idempotency_key) as QueueRow;
    return { ...this.resultFor(row, false), cancel_reason: stored.cancel_reason ?? undefined };
  }

  override async alarm(): Promise<void> {
    const startedAt = Date.now();
    let error: string | null = null;
    try {
      await this.runDue();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      await this.rearm();
      await alarmHeartbeat(this.env.DB, "swap_queue", { startedAt, outcome: error ? "error" : "ok", error });
    }
  }

  /** Queue depth per priority, the next run and the dead letters, for the operator. */
  /** Watchdog (hourly cron): pending orders must have an alarm; re-arms it when it was lost. */
  async ensureScheduled(): Promise<{ rearmed: boolean; pending: number }> {
    const pending = this.ctx.storage.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM queue WHERE state = 'pending'")
      .one().n;
    if (pending === 0 || (await this.ctx.storage.getAlarm()) != null) return { rearmed: false, pending };
    await this.rearm();
    return { rearmed: (await this.ctx.storage.getAlarm()) != null, pending };
  }

  async status() {
    const sql = this.ctx.storage.sql;
    const depth = Object.fromEntries(ORDER_PRIORITIES.map((p) => [p, 0])) as Record<string, number>;
    for (const r of sql
      .exec<{ priority: string; n: number }>(
        "SELECT priority, COUNT(*) AS n FROM queue WHERE state = 'pending' GROUP BY priority",
      )
      .toArray())
      depth[r.priority] = r.n;
    const dead = sql
      .exec<{
        order_id: string;
        idempotency_key: string;
        attempts: number;
        last_error: string | null;
        died_at: string;
      }>(
        "SELECT order_id, idempotency_key, attempts, last_error, died_at FROM dead_letters ORDER BY died_at DESC LIMIT 50",
      )
      .toArray();
    const alarm = await this.ctx.storage.getAlarm();
    const last = this.meta("last_execution_ms");
    return {
      actor: "SwapQueue",
      id: this.ctx.id.toString(),
      name: this.ctx.id.name ?? null,
      depth,
      pending: Object.values(depth).reduce((a, b) => a + b, 0),
      next_run_at: alarm == null ? null : nowIso(alarm),
      last_execution_at: last ? nowIso(Number(last)) : null,
      dead_letters: dead,
    };
  }

  // ------------------------------------------------------------------ execution

  private async runDue(): Promise<void> {
    if (this.running) return; // a forced run while one is executing: the finally of the first re-arms
    this.running = true;
    try {
      const cfg = await loadConfig(this.db);
      const now = Date.now();
      const last = Number(this.meta("last_execution_ms") ?? 0);
      if (now < last + cfg.swap_min_spacing_ms) return;
      const row = this.ctx.storage.sql
        .exec<QueueRow>(
          "SELECT * FROM queue WHERE state = 'pending' AND not_before_ms <= ? ORDER BY priority_rank, seq LIMIT 1",
          now,
        )
        .toArray()[0];
      if (!row) return;
      await this.execute(row, cfg);
    } finally {
      this.running = false;
    }
  }

  private async execute(row: QueueRow, cfg: Config): Promise<void> {
    const req = JSON.parse(row.request) as SwapRequest;
    this.setMeta("last_execution_ms", String(Date.now()));
    let outcome: Outcome;
    try {
      outcome = req.side === "buy" ? await this.executeBuy(row, req, cfg) : await this.executeSell(row, req, cfg);
    } catch (err) {
      await this.failed(row, req, err, cfg);
      return;
    }
    const sql = this.ctx.storage.sql;
    if (outcome.kind === "filled") {
      sql.exec("UPDATE queue SET state = 'done', finished_at_ms = ? WHERE order_id = ?", Date.now(), row.order_id);
      log.info("order_filled", { order_id: row.order_id, side: req.side, reason: req.reason });
    } else if (outcome.kind === "cancelled") {
      await this.cancel(row, req, outcome.reason);
    } else {
      sql.exec(
        "UPDATE queue SET not_before_ms = ?, last_error = ? WHERE order_id = ?",
        Date.now() + outcome.delay_ms,
        outcome.reason,
        row.order_id,
      );
      await updateOrder(this.db, row.order_id, { status: "pending", last_error: outcome.reason });
    }
  }

  private async executeBuy(row: QueueRow, req: SwapRequest, cfg: Config): Promise<Outcome> {
    if (req.priority === "normal" && (await breakerState(this.db)).open)
      return { kind: "cancelled", reason: "circuit_breaker" };
    const entry = req.entry;
    if (!entry || !(req.requested_usd && req.requested_usd > 0)) throw new PermanentError("buy without entry details");
    const positionId = positionIdFor(row.order_id);
    let order = await getOrder(this.db, row.order_id);
    if (!order) throw new Error(`order ${row.order_id} missing in D1`);
    if (order.status !== "filled") {
      if (req.mode !== "simulation") throw new PermanentError("live execution is not available in this build");
      // Entries run one at a time here, so this is where the book caps hold across leaders.
      const caps = checkBookCaps(cfg, await bookExposure(this.db), req.requested_usd);
      if (!caps.ok) {
        log.info("entry_refused_by_caps", { order_id: row.order_id, reason: caps.reason, detail: caps.detail });
        return { kind: "cancelled", reason: caps.reason };
      }
      const quote = (await this.env.PRICE_FEED.getByName("default").getPrices([req.token_mint]))[req.token_mint];
      if (!quote) {
        if (Date.now() - row.created_at_ms > cfg.max_signal_age_seconds * 1000)
          return { kind: "cancelled", reason: "price_unavailable" };
        return { kind: "wait", reason: "price unavailable", delay_ms: PRICE_RETRY_MS };
      }
      const fill = simulateBuy({
        requested_usd: req.requested_usd,
        price_usd: quote.price_usd,
        slippage_bps: cfg.simulated_slippage_bps,
        decimals: entry.token_decimals,
      });
      await updateOrder(this.db, row.order_id, {
        status: "filled",
        position_id: positionId,
        expected_price_usd: fill.expected_price_usd,
        expected_out_amount: fill.expected_amount.toString(),
        executed_price_usd: fill.executed_price_usd,
        executed_in_amount: null,
        executed_out_amount: fill.executed_amount.toString(),
        executed_usd: fill.executed_usd,
        slippage_bps: fill.slippage_bps,
        executed_at: nowIso(),
        last_error: null,
      });
      order = (await getOrder(this.db, row.order_id)) as OrderRow;
    }
    // Filled (now or by an earlier run that stopped before this point): open is idempotent per position id.
    await this.env.POSITION_ACTOR.getByName(positionId).open({
      position_id: positionId,
      entry_order_id: row.order_id,
      wallet_id: req.wallet_id,
      source_wallet_address: entry.source_wallet_address,
      signal_id: req.signal_id ?? null,
      token_mint: req.token_mint,
      token_decimals: entry.token_decimals,
      mode: req.mode,
      exit_strategy_id: entry.exit_strategy_id,
      entry_price_usd: order.executed_price_usd as number,
      entry_amount: order.executed_out_amount as string,
      entry_cost_usd: order.executed_usd as number,
    });
    return { kind: "filled" };
  }

  private async executeSell(row: QueueRow, req: SwapRequest, cfg: Config): Promise<Outcome> {
    if (!req.position_id) throw new PermanentError("sell without position_id");
    const actor = this.env.POSITION_ACTOR.getByName(req.position_id);
    let order = await getOrder(this.db, row.order_id);
    if (!order) throw new Error(`order ${row.order_id} missing in D1`);
    if (order.status !== "filled") {
      const sellable = await actor.sellable({
        order_id: row.order_id,
        amount: req.sell_amount,
        full: (req.sell_fraction ?? 0) >= 1,
      });
      if (BigInt(sellable.amount) <= 0n) return { kind: "cancelled", reason: "nothing_to_sell" };
      if (req.mode !== "simulation") throw new PermanentError("live execution is not available in this build");
      let price = req.trigger_price_usd;
      if (!(price && price > 0)) {
        const quote = (await this.env.PRICE_FEED.getByName("default").getPrices([req.token_mint]))[req.token_mint];
        if (!quote) return { kind: "wait", reason: "price unavailable", delay_ms: PRICE_RETRY_MS };
        price = quote.price_usd;
      }
      const fill = simulateSell({
        amount: BigInt(sellable.amount),
        price_usd: price,
        slippage_bps: cfg.simulated_slippage_bps,
        decimals: sellable.token_decimals,
      });
      await updateOrder(this.db, row.order_id, {
        status: "filled",
        requested_amount: req.sell_amount ?? sellable.amount,
        expected_price_usd: fill.expected_price_usd,
        expected_out_amount: null,
        executed_price_usd: fill.executed_price_usd,
        executed_in_amount: fill.sold_amount.toString(),
        executed_usd: fill.proceeds_usd,
        slippage_bps: fill.slippage_bps,
        executed_at: nowIso(),
        last_error: null,
      });
      order = (await getOrder(this.db, row.order_id)) as OrderRow;
    }
    await actor.applyFill({
      order_id: row.order_id,
      sold_amount: order.executed_in_amount as string,
      proceeds_usd: order.executed_usd as number,
      price_usd: order.executed_price_usd as number,
      reason: req.reason === "entry" ? "manual" : req.reason,
      idempotency_key: row.idempotency_key,
    });
    return { kind: "filled" };
  }

  private async cancel(row: QueueRow, req: SwapRequest, reason: string): Promise<void> {
    this.ctx.storage.sql.exec(
      "UPDATE queue SET state = 'cancelled', last_error = ?, finished_at_ms = ? WHERE order_id = ?",
      reason,
      Date.now(),
      row.order_id,
    );
    await updateOrder(this.db, row.order_id, { status: "cancelled", cancel_reason: reason });
    log.info("order_cancelled", { order_id: row.order_id, reason, side: req.side });
    // An entry refused here (breaker, caps, no price) must not read as "copied" in the signal history.
    if (req.side === "buy" && req.signal_id != null)
      await markSignalFiltered(this.db, req.signal_id, row.order_id, reason);
    if (req.side === "sell" && req.position_id)
      await this.env.POSITION_ACTOR.getByName(req.position_id).releaseOrder(
        row.order_id,
        "cancelled",
        row.idempotency_key,
      );
  }

  private async failed(row: QueueRow, req: SwapRequest, err: unknown, cfg: Config): Promise<void> {
    const attempts = row.attempts + 1;
    const message = err instanceof Error ? err.message : String(err);
    const permanent = err instanceof PermanentError;
    const sql = this.ctx.storage.sql;
    if (permanent || attempts > cfg.max_swap_retries) {
      sql.exec(
        "UPDATE queue SET state = 'dead', attempts = ?, last_error = ?, finished_at_ms = ? WHERE order_id = ?",
        attempts,
        message,
        Date.now(),
        row.order_id,
      );
      sql.exec(
        `INSERT OR REPLACE INTO dead_letters (order_id, idempotency_key, request, attempts, last_error, died_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        row.order_id,
        row.idempotency_key,
        row.request,
        attempts,
        message,
        nowIso(),
      );
      await updateOrder(this.db, row.order_id, { status: "dead", attempts, last_error: message });
      log.error("order_dead_lettered", { order_id: row.order_id, attempts, error: message });
      if (req.side === "sell" && req.position_id)
        await this.env.POSITION_ACTOR.getByName(req.position_id)
          .releaseOrder(row.order_id, "dead", row.idempotency_key)
          .catch((e) => log.warn("position_release_failed", { order_id: row.order_id, error: String(e) }));
      return;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempts - 1));
    sql.exec(
      "UPDATE queue SET attempts = ?, last_error = ?, not_before_ms = ? WHERE order_id = ?",
      attempts,
      message,
      Date.now() + backoff,
      row.order_id,
    );
    await updateOrder(this.db, row.order_id, { status: "pending", attempts, last_error: message });
    log.warn("order_attempt_failed", { order_id: row.order_id, attempts, retry_in_ms: backoff, error: message });
  }

  /** One alarm for the earliest due order, never before the spacing allows. */
  private async rearm(): Promise<void> {
    // A run still executing re-arms in its own finally; arming now would only spin duplicate alarms.
    if (this.running) return;
    const next = this.ctx.storage.sql
      .exec<{ t: number | null }>("SELECT MIN(not_before_ms) AS t FROM queue WHERE state = 'pending'")
      .one().t;
    if (next == null) return;
    let spacing = 0;
    try {
      spacing = (await loadConfig(this.db)).swap_min_spacing_ms;
    } catch {
      spacing = 2000;
    }
    const last = Number(this.meta("last_execution_ms") ?? 0);
    const at = Math.max(next, last + spacing, Date.now());
    const current = await this.ctx.storage.getAlarm();
    if (current == null || current > at || current < Date.now()) await this.ctx.storage.setAlarm(at);
  }

  // ------------------------------------------------------------------ small helpers

  private rowByKey(key: string): QueueRow | undefined {
    return this.ctx.storage.sql.exec<QueueRow>("SELECT * FROM queue WHERE idempotency_key = ?", key).toArray()[0];
  }

  private resultFor(row: QueueRow, duplicate: boolean): EnqueueResult {
    return {
      order_id: row.order_id,
      status: row.state === "cancelled" ? "cancelled" : "pending",
      duplicate,
      ...(row.state === "cancelled" && row.last_error ? { cancel_reason: row.last_error } : {}),
      queue_state: row.state,
    };
  }

  private meta(key: string): string | null {
    return (
      this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ??
      null
    );
  }

  private setMeta(key: string, value: string) {
    this.ctx.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}

/** Shape checks the type system cannot make across RPC (another actor may send anything). */
function requestProblem(r: SwapRequest): string | null {
  if (!r || typeof r !== "object") return "body";
  if (typeof r.idempotency_key !== "string" || !r.idempotency_key || r.idempotency_key.length > 200)
    return "idempotency_key";
  if (r.side !== "buy" && r.side !== "sell") return "side";
  if (!(r.priority in PRIORITY_RANK)) return "priority";
  if (r.mode !== "simulation" && r.mode !== "live") return "mode";
  if (typeof r.token_mint !== "string" || !r.token_mint) return "token_mint";
  if (r.side === "buy") {
    if (!(typeof r.requested_usd === "number" && Number.isFinite(r.requested_usd) && r.requested_usd > 0))
      return "requested_usd";
    if (!r.entry || typeof r.entry.source_wallet_address !== "string") return "entry";
    const d = r.entry.token_decimals;
    if (!Number.isInteger(d) || d < 0 || d > 18) return "entry.token_decimals";
  } else {
    if (typeof r.position_id !== "string" || !r.position_id) return "position_id";
    if (r.sell_amount !== undefined && !/^\d+$/.test(r.sell_amount)) return "sell_amount";
    if (r.sell_fraction !== undefined && !(r.sell_fraction > 0 && r.sell_fraction <= 1)) return "sell_fraction";
    if (r.trigger_price_usd !== undefined && !(r.trigger_price_usd > 0)) return "trigger_price_usd";
  }
  return null;
}
