import { raiseAlert } from "../db/alerts";
import type { Config } from "../domain/config";
import { isTerminal, type LiveOrderIntent, type LiveOrderState, mayStillLand } from "../domain/live-order";
import { LAMPORTS_PER_SOL } from "../domain/live-sizing";
import { WSOL_MINT } from "../domain/price";
import type { SwapRequest } from "../domain/swap-order";
import { priceWaitVerdict } from "../domain/swap-request";
import { type BucketLimits, type BucketState, tokenReadyAt } from "../domain/token-bucket";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { tradingWalletSigner } from "../lib/trading-wallet";
import { getBalanceLamports } from "../upstream/solana-rpc";
import { type LiveClock, LiveExecutor, type LiveOrderPort, type LiveSettings, type LiveSizing } from "./live-executor";
import { type LiveOrderContext, LiveOrderStore } from "./live-orders";
import { liveOutcomeWrite, liveProgressStep } from "./live-outcome";
import type { QueueBook } from "./queue-book";
import type { OwedLedger } from "./queue-owed";
import type { QueueRow } from "./queue-storage";

/**
 * The SwapQueue's live executor (issue 11): runs one queue order through the LiveExecutor, with the queue's
 * SQLite as the executor's port. Every state is stored before the executor's next step; the terminal state
 * is stored in ONE storage transaction with the queue's outcome and everything it owes (the position's open
 * or exit fill, the D1 order row, the dead letter, the release), which the queue then runs until done.
 *
 * A run never holds the queue long: waits (a 429 reset, backoff, a stuck exit, a confirmation still pending
 * after the run's budget) come back as `wait`, the queue re-arms and re-picks by priority, and an order whose
 * signature may still land is resumed by its signature only.
 */
export type LiveStep =
  | { kind: "wait"; reason: string; delay_ms: number }
  | { kind: "cancelled"; reason: string }
  | { kind: "settled" };

/** What a sell needs from its PositionActor (read by the queue right before the first run). */
export interface LiveSellable {
  amount: string;
  token_decimals: number;
  remaining?: string;
}

export interface LiveQueueDeps {
  storage: DurableObjectStorage;
  env: () => Env;
  owed: OwedLedger;
  book: () => QueueBook;
  /** The queue's token bucket: 0 when a token was taken, else the ms until one is there. */
  takeToken: (cfg: Config) => number;
  /** Jupiter answered 429: no live order takes a token before `untilMs` (they keep their priority order). */
  holdTokensUntil: (untilMs: number) => void;
  clock?: LiveClock;
}

/** One run's budget while a signature is in flight, and the longest single sleep inside it. */
const RUN_BUDGET_MS = 1_500;
/**
 * The budget while other orders are due: the order is sent, then left to the next runs (its signature is
 * reconciled on the rebroadcast cadence), so eight leaders' entries are all sent before the first confirms.
 * Not zero: a resumed order always makes one status check before it can be deferred again.
 */
const BUSY_RUN_BUDGET_MS = 50;
const MAX_SLEEP_MS = 250;
const PRICE_RETRY_MS = 5_000;

const realClock: LiveClock = {
  now: () => Date.now(),
  // Capped: the executor's loop then checks its run budget, so the queue is never held for a full interval.
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, MAX_SLEEP_MS)))),
};

/**
 * The bucket held empty until `untilMs` (Jupiter's 429 reset): a token is there just after it, never before,
 * and a bucket already empty for longer is left as it is.
 */
export function bucketHeldUntil(state: BucketState | null, limits: BucketLimits, untilMs: number, now: number) {
  if (state && tokenReadyAt(state, limits, now) >= untilMs) return state;
  return { tokens: 0.999, at_ms: untilMs };
}

export function liveSettingsOf(cfg: Config): LiveSettings {
  return {
    slippage_bps: cfg.slippage_bps,
    max_slippage_bps: cfg.max_slippage_bps,
    max_swap_retries: cfg.max_swap_retries,
    priority_fee:
      cfg.priority_fee_mode === "fixed"
        ? { mode: "fixed", lamports: cfg.priority_fee_lamports }
        : { mode: "auto", max_lamports: cfg.priority_fee_max_lamports },
    skip_preflight: cfg.skip_preflight,
    live_trading_enabled: cfg.live_trading_enabled,
    sol_fee_reserve: cfg.sol_fee_reserve,
    max_position_usd: cfg.max_position_usd,
  };
}

function sizingOf(side: "buy" | "sell", c: LiveOrderContext): LiveSizing {
  if (side === "buy") return { side: "buy", sol_price_usd: c.sol_price_usd };
  const recorded = c.recorded_amount ?? "0";
  return { side: "sell", recorded_amount: recorded, ...(c.full ? {} : { fraction_of_recorded: c.fraction ?? 1 }) };
}

export class LiveQueueRunner {
  readonly store: LiveOrderStore;

  constructor(private readonly d: LiveQueueDeps) {
    this.store = new LiveOrderStore(d.storage.sql);
  }

  /**
   * Runs (or resumes) one live order; `sell` is the PositionActor's answer for an exit not started yet, and
   * `refusal` the queue's last check before the order starts (its leader sold meanwhile: a reason to cancel).
   */
  async run(
    row: QueueRow,
    req: SwapRequest,
    cfg: Config,
    sell?: LiveSellable,
    refusal: () => string | null = () => null,
  ): Promise<LiveStep> {
    const id = row.order_id;
    const loaded = this.store.load(id);
    if (loaded && isTerminal(loaded.state)) {
      // Its outcome was stored with it; a queue row still pending means an older write: record it now.
      this.d.storage.transactionSync(() => this.outcome(row, req, loaded.state, loaded.context));
      return { kind: "settled" };
    }
    let context: LiveOrderContext;
    let intent: LiveOrderIntent | null = null;
    if (loaded) context = loaded.context;
    else {
      const sol = (await this.d.env().PRICE_FEED.getByName("default").getPrices([WSOL_MINT]))[WSOL_MINT];
      if (!sol || !(sol.price_usd > 0)) {
        // As a simulated entry: nothing started, so an entry whose signal went stale meanwhile is cancelled.
        if (req.side === "buy") {
          const v = priceWaitVerdict(req.leader_block_time, row.created_at_ms, Date.now(), cfg.max_signal_age_seconds);
          if (v === "price_unavailable") return { kind: "cancelled", reason: v };
        }
        return { kind: "wait", reason: "SOL price unavailable", delay_ms: PRICE_RETRY_MS };
      }
      // Checked again with no await before the intent is stored: the leader may have sold meanwhile.
      const refused = refusal();
      if (refused) return { kind: "cancelled", reason: refused };
      const started = this.start(req, sol.price_usd, sell);
      if ("wait" in started) return started.wait;
      context = started.context;
      intent = { ...started.intent, order_id: id };
    }
    const port = this.port(row, req, context);
    const executor = new LiveExecutor({
      env: this.d.env(),
      port,
      clock: this.d.clock ?? realClock,
      settings: liveSettingsOf(cfg),
      takeSwapToken: () => this.d.takeToken(cfg),
      max_inline_wait_ms: 0,
      max_run_ms: this.othersDue(id) ? BUSY_RUN_BUDGET_MS : RUN_BUDGET_MS,
    });
    const sizing = sizingOf(req.side, context);
    let res: Awaited<ReturnType<LiveExecutor["run"]>>;
    try {
      res = loaded ? await executor.run(loaded.state, sizing) : await executor.start(intent as LiveOrderIntent, sizing);
    } catch (err) {
      // A signature that may land is never given up on an error here: the next run reconciles it.
      if (this.store.inFlight(id)) {
        log.warn("live_order_run_failed", { order_id: id, error: errorMessage(err) });
        return { kind: "wait", reason: "live order in flight: reconciling", delay_ms: 2_000 };
      }
      throw err;
    }
    if (res.kind === "done") {
      await this.stuckAlert(req, res.state);
      if (res.state.failure?.kind === "insufficient_funds") await this.refreshTradingBalance();
      return { kind: "settled" };
    }
    if (res.reason === "HTTP_429") this.d.holdTokensUntil(res.not_before);
    await this.stuckAlert(req, res.state);
    return { kind: "wait", reason: `live: ${res.reason}`, delay_ms: Math.max(0, res.not_before - Date.now()) };
  }

  private start(
    req: SwapRequest,
    solPrice: number,
    sell?: LiveSellable,
  ): { intent: Omit<LiveOrderIntent, "order_id">; context: LiveOrderContext } | { wait: LiveStep } {
    const base = { side: req.side, token_mint: req.token_mint } as const;
    if (req.side === "buy") {
      const lamports = BigInt(Math.floor(((req.requested_usd ?? 0) / solPrice) * LAMPORTS_PER_SOL));
      if (lamports <= 0n) throw new RangeError("live buy of nothing");
      return {
        intent: { ...base, purpose: "entry", amount: lamports.toString() },
        context: { sol_price_usd: solPrice, token_decimals: req.entry?.token_decimals ?? 0 },
      };
    }
    if (!sell) throw new RangeError("live sell without the position's sellable amount");
    const recorded = sell.remaining && BigInt(sell.remaining) > 0n ? sell.remaining : sell.amount;
    const full = (req.sell_fraction ?? 0) >= 1 || BigInt(sell.amount) >= BigInt(recorded);
    return {
      intent: { ...base, purpose: "exit", amount: sell.amount },
      context: {
        sol_price_usd: solPrice,
        token_decimals: sell.token_decimals,
        recorded_amount: recorded,
        full,
        fraction: full ? 1 : Number(sell.amount) / Number(recorded),
      },
    };
  }

  /** The executor's port: one storage transaction per state, the terminal one with the queue's outcome. */
  private port(row: QueueRow, req: SwapRequest, context: LiveOrderContext): LiveOrderPort {
    return {
      save: async (s: LiveOrderState) => {
        const prev = this.store.row(s.intent.order_id);
        this.d.storage.transactionSync(() => {
          this.store.put(s, context);
          if (isTerminal(s)) this.outcome(row, req, s, context);
          else {
            const progress = liveProgressStep(prev ? { status: prev.status, signature: prev.signature } : null, s);
            if (progress) this.d.owed.record(row.order_id, [progress]);
          }
        });
        // Durable before the executor's next upstream call (the signature before the first send).
        await this.d.storage.sync();
      },
    };
  }

  /** The queue's outcome of a terminal live state (inside the caller's storage transaction). */
  private outcome(row: QueueRow, req: SwapRequest, s: LiveOrderState, c: LiveOrderContext) {
    const cur = this.d.storage.sql
      .exec<{ state: string }>("SELECT state FROM queue WHERE order_id = ?", row.order_id)
      .toArray()[0];
    if (cur?.state !== "pending") return; // recorded already: never twice
    liveOutcomeWrite({ sql: this.d.storage.sql, owed: this.d.owed, book: this.d.book() }, row, req, s, c);
  }

  /**
   * A stuck exit (no route) marks its position stuck and raises its alert, once per stuck spell (retried by the
   * next run until both are done); when it is no longer stuck (re-quoted, landed) the mark is taken off.
   */
  private async stuckAlert(req: SwapRequest, s: LiveOrderState) {
    const id = s.intent.order_id;
    const r = this.store.row(id);
    if (!r || s.intent.purpose !== "exit" || !req.position_id) return;
    const actor = this.d.env().POSITION_ACTOR.getByName(req.position_id);
    if (!s.stuck) {
      if (r.alerted_stuck !== 1) return;
      try {
        await actor.exitStuck(id, false, null);
        this.store.markStuckAlerted(id, false);
      } catch (err) {
        // The position hides a stuck mark of an exit that filled or died: a stale one is only cosmetic.
        log.warn("live_unstuck_mark_failed", { order_id: id, error: String(err) });
      }
      return;
    }
    if (r.alerted_stuck === 1) return;
    try {
      await actor.exitStuck(id, true, s.failure?.code ?? null);
      await raiseAlert(this.d.env().DB, {
        kind: "stuck_exit",
        subject: req.position_id ?? id,
        message: `live exit ${id} of ${req.token_mint} has no route: retried with backoff until it lands`,
        detail: { order_id: id, position_id: req.position_id ?? null, code: s.failure?.code ?? null },
      });
      this.store.markStuckAlerted(id, true);
    } catch (err) {
      log.warn("live_stuck_alert_failed", { order_id: id, error: String(err) });
    }
  }

  /**
   * The wallet could not pay: its balance is read again and written to the portfolio's cache (the one the
   * status and the dashboard show), when the trading wallet is one of the portfolio's wallets. Best effort:
   * the next order reads the chain's balance itself anyway, never this cache.
   */
  private async refreshTradingBalance() {
    try {
      const key = await tradingWalletSigner(this.d.env().WALLET_PRIVATE_KEY);
      if (!key.ok) return;
      const lamports = await getBalanceLamports(this.d.env(), key.signer.address);
      await this.d
        .env()
        .DB.prepare(
          "UPDATE wallet_info SET last_balance_lamports = ?, last_balance_sol = ?, balance_refreshed_at = ? WHERE address = ?",
        )
        .bind(lamports.toString(), Number(lamports) / LAMPORTS_PER_SOL, nowIso(), key.signer.address)
        .run();
      log.info("live_balance_refreshed", { address: key.signer.address, lamports: lamports.toString() });
    } catch (err) {
      log.warn("live_balance_refresh_failed", { error: String(err) });
    }
  }

  /** Whether another order of the queue is due now (then an order in flight does not hold the queue). */
  private othersDue(orderId: string): boolean {
    return (
      this.d.storage.sql
        .exec(
          "SELECT 1 FROM queue WHERE state = 'pending' AND order_id <> ? AND not_before_ms <= ? LIMIT 1",
          orderId,
          Date.now(),
        )
        .toArray().length > 0
    );
  }

  /** Whether the executor has started this order (then it resumes; the queue's refusals no longer apply). */
  started(orderId: string): boolean {
    return this.store.started(orderId);
  }

  inFlight(orderId: string): boolean {
    const r = this.store.row(orderId);
    return r !== undefined && mayStillLand(r);
  }
}
