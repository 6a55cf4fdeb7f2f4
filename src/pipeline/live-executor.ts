import type { KeyPairSigner } from "@solana/kit";
import {
  classifyOnChainError,
  classifyQuoteError,
  classifySimulationError,
  classifyTransport,
  decideFailure,
  type LiveFailure,
  nextSlippageBps,
  type RetryPolicy,
} from "../domain/live-failure";
import { readFill, type TxBalances } from "../domain/live-fill";
import {
  attemptEnded,
  deferred,
  executed,
  failed,
  heightPassed,
  isTerminal,
  type LiveOrderIntent,
  type LiveOrderState,
  mayStillLand,
  newLiveOrder,
  quoted,
  restartAttempt,
  sent,
  signed,
  sized,
  transitionAllowed,
} from "../domain/live-order";
import { liveSellAmount, liveSpendCap } from "../domain/live-sizing";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { tradingWalletSigner } from "../lib/trading-wallet";
import { UpstreamError } from "../upstream/http";
import {
  fetchQuote,
  fetchSwapTransaction,
  type JupiterQuote,
  JupiterSimulationError,
  type PriorityFee,
} from "../upstream/jupiter";
import { getBalanceLamports, getTokenAccounts, TOKEN_PROGRAMS } from "../upstream/solana-rpc";
import { fetchSwapTransactionResult, sendSwapTransaction, signSwapTransaction } from "../upstream/solana-swap";
import { blockHeight, signatureStatuses } from "../upstream/solana-transactions";

/**
 * Drives ONE live order through `pending → quoted → signed → submitted → executed | failed | expired`
 * (issue 11). Every state is handed to the port's `save` and awaited before the next step, so after a crash
 * the caller resumes from the last saved state with `run(state)`:
 * - `pending`: nothing signed; quote (again) — safe.
 * - `quoted`: nothing signed; build + sign — the signature is saved (`signed`) before the first send.
 * - `signed` / `submitted`: reconciled by the signature's status only — sent again (same bytes, same
 *   signature) every ~2 s until confirmed, landed failed, or expired (chain above lastValidBlockHeight AND a
 *   later status check still "not found"). Never re-quoted or re-signed while the blockhash can land.
 * Time and sleeping are injected; waits longer than `max_inline_wait_ms` are returned (`deferred`) so the
 * SwapQueue re-arms its alarm and re-picks by priority instead of blocking.
 */

const WSOL = "So11111111111111111111111111111111111111112";

export type LiveEnv = Pick<
  Env,
  "JUPITER_API_URL" | "JUPITER_API_KEY" | "SOLANA_RPC_URL" | "UPSTREAM_TIMEOUT_MS" | "WALLET_PRIVATE_KEY"
>;

/** Durable storage of one order's state. `save` must have committed when it resolves. */
export interface LiveOrderPort {
  save(state: LiveOrderState): Promise<void>;
}

export interface LiveClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface LiveSettings extends RetryPolicy {
  priority_fee: PriorityFee;
  skip_preflight: boolean;
  live_trading_enabled: boolean;
  sol_fee_reserve: number;
  max_position_usd: number;
}

/** What the caller knows to size the order (issue 11's money limits), checked before the first quote. */
export type LiveSizing =
  | { side: "buy"; sol_price_usd: number }
  | { side: "sell"; recorded_amount: string; fraction_of_recorded?: number };

export interface LiveExecutorOptions {
  env: LiveEnv;
  port: LiveOrderPort;
  clock: LiveClock;
  settings: LiveSettings;
  /**
   * The SwapQueue's token bucket, called just before each quote (one token = one quote + swap). Returns 0
   * when a token was taken, else the ms until one is there (the order is deferred, nothing is failed).
   */
  takeSwapToken?: () => Promise<number> | number;
  rebroadcast_interval_ms?: number;
  max_inline_wait_ms?: number;
  /** Consecutive RPC failures while reconciling before the order is deferred (it stays submitted). */
  max_reconcile_errors?: number;
  /**
   * Time budget of one `run` call while a signature is in flight: past it the order is deferred (still
   * submitted, reconciled by the next run), so one slow confirmation never holds the queue's other orders.
   */
  max_run_ms?: number;
}

export type LiveRunResult =
  | { kind: "done"; state: LiveOrderState }
  | { kind: "deferred"; state: LiveOrderState; not_before: number; reason: string };

export class LiveExecutor {
  private readonly o: Required<Omit<LiveExecutorOptions, "takeSwapToken">> & Pick<LiveExecutorOptions, "takeSwapToken">;
  private last: LiveOrderState | null = null;
  private signerCache: KeyPairSigner | null = null;

  constructor(opts: LiveExecutorOptions) {
    this.o = {
      rebroadcast_interval_ms: 2000,
      max_inline_wait_ms: 5000,
      max_reconcile_errors: 10,
      max_run_ms: Number.POSITIVE_INFINITY,
      ...opts,
    };
  }

  /** Starts a new order: its intent is saved (pending) before any upstream call. */
  async start(intent: LiveOrderIntent, sizing: LiveSizing): Promise<LiveRunResult> {
    if (sizing.side !== intent.side) throw new RangeError("sizing side differs from the intent");
    if (!/^\d+$/.test(intent.amount)) throw new RangeError("amount must be an integer string of base units");
    const s = newLiveOrder(intent, this.o.settings.slippage_bps, this.o.clock.now());
    await this.save(s, null);
    return this.run(s, sizing);
  }

  /** Resumes an order from its last saved state (after a crash, a deferral, or a retry). */
  async run(from: LiveOrderState, sizing?: LiveSizing): Promise<LiveRunResult> {
    this.last = from;
    let s = from;
    let reconcileErrors = 0;
    const startedAt = this.o.clock.now();
    for (;;) {
      if (isTerminal(s)) return { kind: "done", state: s };
      const now = this.o.clock.now();
      if (mayStillLand(s) && s.status === "submitted" && now - startedAt >= this.o.max_run_ms)
        return { kind: "deferred", state: s, not_before: now + this.o.rebroadcast_interval_ms, reason: "IN_FLIGHT" };
      if (s.not_before !== null && now < s.not_before) {
        const wait = s.not_before - now;
        if (wait > this.o.max_inline_wait_ms)
          return { kind: "deferred", state: s, not_before: s.not_before, reason: s.failure?.code ?? "waiting" };
        await this.o.clock.sleep(wait);
        continue;
      }
      switch (s.status) {
        case "pending":
          s = await this.quoteStep(s, sizing);
          break;
        case "quoted":
          s = await this.signStep(s);
          break;
        case "signed":
        case "submitted": {
          const r = await this.reconcileStep(s);
          if (r === "rpc_error") {
            reconcileErrors++;
            if (reconcileErrors >= this.o.max_reconcile_errors) {
              const until = this.o.clock.now() + this.o.rebroadcast_interval_ms * 5;
              // Still submitted: the signature decides later. Not saved as a failure: nothing is known.
              return { kind: "deferred", state: s, not_before: until, reason: "RPC_UNAVAILABLE" };
            }
            await this.o.clock.sleep(this.o.rebroadcast_interval_ms);
          } else {
            reconcileErrors = 0;
            s = r;
          }
          break;
        }
      }
      if (
        s.not_before !== null &&
        s.not_before > this.o.clock.now() &&
        !isTerminal(s) &&
        s.not_before - this.o.clock.now() > this.o.max_inline_wait_ms
      )
        return { kind: "deferred", state: s, not_before: s.not_before, reason: s.failure?.code ?? "waiting" };
    }
  }

  private async save(next: LiveOrderState, prev: LiveOrderState | null): Promise<LiveOrderState> {
    // Defence in depth: the pure machine never goes back, and storage never receives a backwards state.
    if (!transitionAllowed(prev, next))
      throw new Error(
        `live order ${next.intent.order_id}: refused transition ${prev?.status ?? "none"} → ${next.status}`,
      );
    await this.o.port.save(next);
    this.last = next;
    return next;
  }

  private async signer(): Promise<{ ok: true; signer: KeyPairSigner } | { ok: false; reason: string }> {
    if (this.signerCache) return { ok: true, signer: this.signerCache };
    const r = await tradingWalletSigner(this.o.env.WALLET_PRIVATE_KEY);
    if (r.ok) this.signerCache = r.signer;
    return r;
  }

  private fail(s: LiveOrderState, f: LiveFailure, reason: string) {
    log.warn("live_order_failed", { order_id: s.intent.order_id, code: f.code, reason, attempt: s.attempt });
    return this.save(failed(s, f, reason, this.o.clock.now()), s);
  }

  /** Applies the failure policy to a failure before signing (quote or swap step). */
  private async onFailure(s: LiveOrderState, f: LiveFailure): Promise<LiveOrderState> {
    const d = decideFailure(f, {
      purpose: s.intent.purpose,
      slippage_bps: s.slippage_bps,
      policy: this.o.settings,
      requotes: s.requotes,
      stuck_retries: s.stuck_retries,
      transient_retries: s.transient_retries,
    });
    const now = this.o.clock.now();
    switch (d.action) {
      case "fail":
        return this.fail(s, f, d.terminal_reason);
      case "requote": {
        // A simulation said the price moved: a fresh attempt at the higher slippage (nothing was signed).
        return this.save(attemptEnded(s, "slippage", this.o.settings, d.slippage_bps, now, f), s);
      }
      case "stuck": {
        if (!s.stuck)
          log.error("live_exit_stuck", { order_id: s.intent.order_id, code: f.code, mint: s.intent.token_mint });
        const next = deferred(s, f, now + d.delay_ms, "stuck", now);
        return this.save(next.status === "quoted" ? restartAttempt(next, now) : next, s);
      }
      case "retry_same_step":
        return this.save(
          deferred(s, f, now + d.delay_ms, f.kind === "rate_limited" ? "rate_limited" : "transient", now),
          s,
        );
    }
  }

  private failureOf(err: unknown): LiveFailure {
    if (err instanceof JupiterSimulationError)
      return classifySimulationError({ errorCode: err.errorCode, error: err.simulationMessage });
    if (err instanceof UpstreamError)
      return classifyTransport({
        status: err.status,
        retryable: err.retryable,
        message: err.message,
        ...(err.retryAfterMs !== undefined ? { retry_after_ms: err.retryAfterMs } : {}),
      });
    return {
      kind: "fatal",
      code: "INTERNAL",
      detail: err instanceof Error ? err.message.slice(0, 200) : "unknown error",
    };
  }

  /** The amount of this order: the intent's, within the money limits. */
  private async sizedAmount(
    s: LiveOrderState,
    signer: KeyPairSigner,
    sizing: LiveSizing,
  ): Promise<{ ok: true; amount: string } | { ok: false; reason: string }> {
    if (sizing.side === "buy") {
      const wallet = await getBalanceLamports(this.o.env, signer.address);
      const cap = liveSpendCap({
        requested_lamports: BigInt(s.intent.amount),
        wallet_lamports: wallet,
        sol_fee_reserve: this.o.settings.sol_fee_reserve,
        max_position_usd: this.o.settings.max_position_usd,
        sol_price_usd: sizing.sol_price_usd,
      });
      return cap.ok ? { ok: true, amount: cap.lamports.toString() } : cap;
    }
    const lists = await Promise.all(TOKEN_PROGRAMS.map((p) => getTokenAccounts(this.o.env, signer.address, p)));
    const held = lists
      .flat()
      .filter((a) => a.mint === s.intent.token_mint)
      .reduce((acc, a) => acc + BigInt(a.amount), 0n);
    const d = liveSellAmount({
      recorded: BigInt(sizing.recorded_amount),
      held,
      ...(sizing.fraction_of_recorded !== undefined ? { fraction_of_recorded: sizing.fraction_of_recorded } : {}),
    });
    return d.ok ? { ok: true, amount: d.amount.toString() } : d;
  }

  private async quoteStep(s: LiveOrderState, sizing?: LiveSizing): Promise<LiveOrderState> {
    const key = await this.signer();
    if (!key.ok) return this.fail(s, { kind: "fatal", code: "KEY_UNAVAILABLE", detail: key.reason }, key.reason);
    if (s.intent.purpose === "entry" && !this.o.settings.live_trading_enabled)
      return this.fail(
        s,
        { kind: "fatal", code: "LIVE_OFF", detail: "live_trading_enabled is false" },
        "LIVE_OFF: live trading is switched off; entries are refused",
      );
    if (s.sized_amount === null) {
      if (!sizing)
        return this.fail(
          s,
          { kind: "fatal", code: "SIZING_MISSING", detail: "no sizing" },
          "SIZING_MISSING: resumed unsized without sizing",
        );
      if (sizing.side !== s.intent.side) throw new RangeError("sizing side differs from the intent");
      let r: Awaited<ReturnType<LiveExecutor["sizedAmount"]>>;
      try {
        r = await this.sizedAmount(s, key.signer, sizing);
      } catch (err) {
        return this.onFailure(s, this.failureOf(err));
      }
      if (!r.ok) {
        const insufficient = r.reason.startsWith("INSUFFICIENT_FUNDS");
        const f: LiveFailure = {
          kind: insufficient ? "insufficient_funds" : "fatal",
          code: insufficient ? "INSUFFICIENT_FUNDS" : (r.reason.split(":")[0] ?? "SIZING"),
          detail: r.reason,
        };
        if (f.code === "HOLDING_MISMATCH")
          log.error("live_sell_refused", { order_id: s.intent.order_id, reason: r.reason });
        return this.fail(s, f, r.reason);
      }
      // Saved before the quote: a resumed order swaps the same amount, whatever the balances say later.
      return this.save(sized(s, r.amount, this.o.clock.now()), s);
    }
    const amount = s.sized_amount;
    if (this.o.takeSwapToken) {
      const wait = await this.o.takeSwapToken();
      if (wait > 0) {
        const now = this.o.clock.now();
        // Not a failure: the bucket is empty; the queue re-picks by priority when a token is there.
        return { ...s, not_before: now + wait, updated_at: now };
      }
    }
    const buy = s.intent.side === "buy";
    let res: Awaited<ReturnType<typeof fetchQuote>>;
    try {
      res = await fetchQuote(this.o.env, {
        inputMint: buy ? WSOL : s.intent.token_mint,
        outputMint: buy ? s.intent.token_mint : WSOL,
        amount,
        slippageBps: s.slippage_bps,
      });
    } catch (err) {
      return this.onFailure(s, this.failureOf(err));
    }
    if (!res.ok) return this.onFailure(s, classifyQuoteError(res.error_code));
    if (s.stuck) log.info("live_exit_unstuck", { order_id: s.intent.order_id });
    return this.save({ ...quoted(s, res.quote, res.quote.outAmount, this.o.clock.now()), stuck: false }, s);
  }

  private async signStep(s: LiveOrderState): Promise<LiveOrderState> {
    const key = await this.signer();
    if (!key.ok) return this.fail(s, { kind: "fatal", code: "KEY_UNAVAILABLE", detail: key.reason }, key.reason);
    let swap: Awaited<ReturnType<typeof fetchSwapTransaction>>;
    let tx: { signature: string; wire: string };
    try {
      swap = await fetchSwapTransaction(this.o.env, {
        userPublicKey: key.signer.address,
        quoteResponse: s.quote as JupiterQuote,
        priorityFee: this.o.settings.priority_fee,
      });
      tx = await signSwapTransaction(key.signer, swap.swapTransaction);
    } catch (err) {
      return this.onFailure(s, this.failureOf(err));
    }
    // Persisted before the first send: after a crash the order is reconciled by this signature.
    return this.save(signed(s, { ...tx, last_valid_block_height: swap.lastValidBlockHeight }, this.o.clock.now()), s);
  }

  private async send(s: LiveOrderState): Promise<LiveOrderState> {
    try {
      await sendSwapTransaction(this.o.env, s.wire as string, { skipPreflight: this.o.settings.skip_preflight });
    } catch (err) {
      // Whatever the node said, these bytes may still land (an earlier send, another node): the outcome is
      // read from the signature's status, never from a send error.
      log.warn("live_send_failed", {
        order_id: s.intent.order_id,
        signature: s.signature,
        error: errorMessage(err),
      });
    }
    return this.save(sent(s, this.o.clock.now()), s);
  }

  private async reconcileStep(s: LiveOrderState): Promise<LiveOrderState | "rpc_error"> {
    if (s.status === "signed") return this.send(s);
    const sig = s.signature as string;
    let status: Awaited<ReturnType<typeof signatureStatuses>>[number];
    try {
      status = (await signatureStatuses(this.o.env, [sig]))[0] ?? null;
    } catch {
      return "rpc_error";
    }
    const now = this.o.clock.now();
    if (status?.err) {
      const f = classifyOnChainError(status.err);
      if (f.kind === "slippage")
        return this.save(
          attemptEnded(
            s,
            "slippage",
            this.o.settings,
            nextSlippageBps(s.slippage_bps, this.o.settings.max_slippage_bps),
            now,
            f,
          ),
          s,
        );
      return this.fail(s, f, `${f.code}: the transaction landed and failed`);
    }
    if (status && (status.confirmation_status === "confirmed" || status.confirmation_status === "finalized")) {
      let tx: Awaited<ReturnType<typeof fetchSwapTransactionResult>>;
      try {
        tx = await fetchSwapTransactionResult(this.o.env, sig);
      } catch {
        return "rpc_error";
      }
      if (!tx?.meta) {
        // Confirmed but not served yet by this node: look again shortly.
        await this.o.clock.sleep(Math.min(500, this.o.rebroadcast_interval_ms));
        return s;
      }
      // The fee payer is the trading wallet (checked before signing): no key is needed to read the fill.
      const owner = tx.transaction.message.accountKeys[0] ?? "";
      const meta = tx.meta;
      const keys = [
        ...tx.transaction.message.accountKeys,
        ...(meta.loadedAddresses?.writable ?? []),
        ...(meta.loadedAddresses?.readonly ?? []),
      ];
      const toks = (l: typeof meta.preTokenBalances) =>
        (l ?? []).map((b) => ({
          mint: b.mint,
          owner: b.owner,
          amount: b.uiTokenAmount.amount,
          decimals: Number(b.uiTokenAmount.decimals),
        }));
      const balances: TxBalances = {
        fee: meta.fee,
        account_keys: keys,
        pre_lamports: meta.preBalances,
        post_lamports: meta.postBalances,
        pre_tokens: toks(meta.preTokenBalances),
        post_tokens: toks(meta.postTokenBalances),
      };
      const fill = readFill(balances, owner, s.intent.token_mint);
      if (!fill.ok) {
        // It landed: never call it failed. An unreadable answer is retried (the order stays submitted).
        log.warn("live_fill_unreadable", { order_id: s.intent.order_id, signature: sig, reason: fill.reason });
        return "rpc_error";
      }
      const abs = (v: bigint) => (v < 0n ? -v : v);
      log.info("live_order_executed", { order_id: s.intent.order_id, signature: sig, sends: s.sends });
      return this.save(
        executed(
          s,
          {
            signature: sig,
            slot: Number(tx.slot),
            block_time: tx.blockTime == null ? null : Number(tx.blockTime),
            token_amount: abs(fill.token_delta).toString(),
            token_decimals: fill.decimals,
            sol_lamports: abs(fill.lamport_delta).toString(),
            fee_lamports: Number(fill.fee),
            quoted_out_amount: s.quoted_out_amount,
          },
          now,
        ),
        s,
      );
    }
    if (status) {
      // processed: it is in a block, not yet confirmed; never rebroadcast-worthy, just wait.
      await this.o.clock.sleep(Math.min(1000, this.o.rebroadcast_interval_ms));
      return s;
    }
    // Not found (yet). Unknown, never failed: expired only once the chain is past the last valid height
    // and a status check made after seeing that still does not find it.
    if (s.height_passed_at !== null)
      return this.save(
        attemptEnded(s, "expired", this.o.settings, s.slippage_bps, now, {
          kind: "transient",
          code: "EXPIRED",
          detail: "blockhash expired unconfirmed",
        }),
        s,
      );
    let height: number;
    try {
      height = await blockHeight(this.o.env);
    } catch {
      return "rpc_error";
    }
    if (height > (s.last_valid_block_height as number)) return this.save(heightPassed(s, now), s);
    if (s.last_sent_at === null || now - s.last_sent_at >= this.o.rebroadcast_interval_ms) return this.send(s);
    await this.o.clock.sleep(this.o.rebroadcast_interval_ms - (now - s.last_sent_at));
    return s;
  }

  /** The last state handed to (or resumed from) storage: what a caller persists if it must stop. */
  get current(): LiveOrderState | null {
    return this.last;
  }
}
