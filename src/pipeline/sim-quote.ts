import type { Config } from "../domain/config";
import { WSOL_MINT } from "../domain/price";
import { lamportsForUsd, quotedBuyFill, quotedSellFill, simQuoteTokenReserve } from "../domain/quote-fill";
import { SOL_REFERENCE_MAX_AGE_MS } from "../domain/reference-price";
import { type SimulatedBuy, type SimulatedSell, simulateBuy, simulateSell } from "../domain/simulation";
import { bucketLimits } from "../domain/swap-request";
import { type BucketState, takeSpareToken } from "../domain/token-bucket";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { timeoutFrom, UpstreamError } from "../upstream/http";
import { fetchQuote, type JupiterQuote } from "../upstream/jupiter";
import { LIVE_IN_FLIGHT_SQL } from "./live-orders";
import { bucketHeldUntil } from "./live-queue";

/**
 * The simulated fill's price (issue 11, "simulation stays the same pipeline"): when `simulation_quotes_enabled`
 * is on, a spare swap token is there right now and Jupiter answers within SIM_QUOTE_BUDGET_MS, the fill takes
 * the quote's out amount for the same input a live order would send (its price impact included); otherwise
 * (flag off, no spare token, no SOL price, error, timeout, 429, no route, an implausible answer) it is priced
 * with `simulated_slippage_bps` as before. It never waits for a token, and never takes one that a live order
 * needs (`takeSimQuoteToken`). A 429 holds the bucket until Jupiter's reset, as a live order's 429 does.
 *
 * The model used is on the order: `quote_context_slot` is the quote's contextSlot for a quote-priced fill and
 * null for a slippage-priced one (the SOL leg, `executed_in_amount` of a BUY / `executed_out_amount` of a
 * SELL, is also only set for a quote-priced fill).
 *
 * Nothing here can trade: a quote is read-only, so an eviction mid-call only leaves the order pending (its
 * token spent, as the bucket stores it before the call) and the next run prices it again.
 */
export const SIM_QUOTE_BUDGET_MS = 1_000;

export type FillModel = "quote" | "slippage";

/** The SwapQueue's token bucket, as stored in its SQLite (read and written synchronously, no await between). */
export interface BucketPort {
  read(): BucketState | null;
  write(state: BucketState): void;
}

export interface SimQuoteDeps {
  env: Env;
  /** The queue's SQLite: whether a live order is waiting for a token. */
  sql: SqlStorage;
  bucket: BucketPort;
  /** A test seam only (a crash test holds the quote longer); else SIM_QUOTE_BUDGET_MS capped by the upstream timeout. */
  budget_ms?: number;
}

/** A live order that will need a token (pending, not yet signed: its next quote takes one). */
export function liveOrderWaiting(sql: SqlStorage): boolean {
  return (
    sql
      .exec(
        `SELECT 1 FROM queue WHERE state = 'pending' AND json_extract(request, '$.mode') = 'live'
           AND NOT ${LIVE_IN_FLIGHT_SQL} LIMIT 1`,
      )
      .toArray().length > 0
  );
}

/**
 * Takes a token for a simulated quote only when one is spare right now (exits and live orders keep
 * priority), stored before the call (an evicted call still counts against the limit). Never waits.
 */
export function takeSimQuoteToken(d: Pick<SimQuoteDeps, "sql" | "bucket">, cfg: Config, now = Date.now()): boolean {
  const t = spareToken(d, cfg, now);
  if (t.taken) d.bucket.write(t.state);
  return t.taken;
}

function spareToken(d: Pick<SimQuoteDeps, "sql" | "bucket">, cfg: Config, now: number) {
  const keep = simQuoteTokenReserve({
    live_waiting: liveOrderWaiting(d.sql),
    live_trading_enabled: cfg.live_trading_enabled,
  });
  return takeSpareToken(d.bucket.read(), bucketLimits(cfg), now, keep);
}

const spareTokenNow = (d: Pick<SimQuoteDeps, "sql" | "bucket">, cfg: Config) => spareToken(d, cfg, Date.now()).taken;

/** What the order row records about the model, beside the fill itself. */
export interface FillModelFields {
  model: FillModel;
  /** The quote's contextSlot (quote model), null for the slippage model. */
  quote_context_slot: number | null;
  /** The SOL leg of the quote (lamports sent by a BUY, received by a SELL); null for the slippage model. */
  sol_lamports: string | null;
  /** Why the quote was not used (null when it was, or when quotes are off). */
  fallback: string | null;
}

export type SimBuyFill = SimulatedBuy & FillModelFields;
export type SimSellFill = SimulatedSell & FillModelFields;

const slippageModel = (fallback: string | null) => ({
  model: "slippage" as const,
  quote_context_slot: null,
  sol_lamports: null,
  fallback,
});

export async function simulatedBuyFill(
  d: SimQuoteDeps,
  cfg: Config,
  p: { order_id: string; token_mint: string; requested_usd: number; price_usd: number; decimals: number },
): Promise<SimBuyFill> {
  const q = await quoteFor(d, cfg, p.order_id, {
    inputMint: WSOL_MINT,
    outputMint: p.token_mint,
    amountAt: (sol) => lamportsForUsd(p.requested_usd, sol),
  });
  if (q.ok) {
    const f = quotedBuyFill({
      in_lamports: q.amount,
      out_amount: BigInt(q.quote.outAmount),
      price_usd: p.price_usd,
      sol_price_usd: q.sol_price_usd,
      decimals: p.decimals,
    });
    if (f.ok)
      return {
        ...f.fill,
        model: "quote",
        quote_context_slot: q.slot,
        sol_lamports: q.amount.toString(),
        fallback: null,
      };
    log.warn("sim_quote_unused", { order_id: p.order_id, reason: f.reason });
  }
  const fill = simulateBuy({
    requested_usd: p.requested_usd,
    price_usd: p.price_usd,
    slippage_bps: cfg.simulated_slippage_bps,
    decimals: p.decimals,
  });
  return { ...fill, ...slippageModel(q.ok ? "implausible" : q.reason) };
}

export async function simulatedSellFill(
  d: SimQuoteDeps,
  cfg: Config,
  p: { order_id: string; token_mint: string; amount: bigint; price_usd: number; decimals: number },
): Promise<SimSellFill> {
  const q = await quoteFor(d, cfg, p.order_id, {
    inputMint: p.token_mint,
    outputMint: WSOL_MINT,
    amountAt: () => p.amount,
  });
  if (q.ok) {
    const f = quotedSellFill({
      amount: p.amount,
      out_lamports: BigInt(q.quote.outAmount),
      price_usd: p.price_usd,
      sol_price_usd: q.sol_price_usd,
      decimals: p.decimals,
    });
    if (f.ok)
      return { ...f.fill, model: "quote", quote_context_slot: q.slot, sol_lamports: q.quote.outAmount, fallback: null };
    log.warn("sim_quote_unused", { order_id: p.order_id, reason: f.reason });
  }
  const fill = simulateSell({
    amount: p.amount,
    price_usd: p.price_usd,
    slippage_bps: cfg.simulated_slippage_bps,
    decimals: p.decimals,
  });
  return { ...fill, ...slippageModel(q.ok ? "implausible" : q.reason) };
}

type Quoted =
  | { ok: true; quote: JupiterQuote; amount: bigint; sol_price_usd: number; slot: number }
  | { ok: false; reason: string };

/** Resolves with null when the signal aborts (never rejects: a lost race leaves no unhandled rejection). */
const whenAborted = (signal: AbortSignal) =>
  new Promise<null>((resolve) => {
    if (signal.aborted) resolve(null);
    else signal.addEventListener("abort", () => resolve(null), { once: true });
  });

async function quoteFor(
  d: SimQuoteDeps,
  cfg: Config,
  orderId: string,
  p: { inputMint: string; outputMint: string; amountAt: (solPriceUsd: number) => bigint },
): Promise<Quoted> {
  if (!cfg.simulation_quotes_enabled) return { ok: false, reason: "off" };
  // Looked at first (nothing stored): without a spare token the SOL price is not even asked for.
  if (!spareTokenNow(d, cfg)) return { ok: false, reason: "no_spare_token" };
  const budget = d.budget_ms ?? Math.min(SIM_QUOTE_BUDGET_MS, timeoutFrom(d.env));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), budget);
  try {
    // The SOL price values the SOL leg (and sizes a BUY as the live executor does); within the same budget.
    const prices = d.env.PRICE_FEED.getByName("default")
      .getPrices([WSOL_MINT], { max_age_ms: SOL_REFERENCE_MAX_AGE_MS })
      .catch(() => null);
    const sol = (await Promise.race([prices, whenAborted(abort.signal)]))?.[WSOL_MINT]?.price_usd;
    if (abort.signal.aborted) return fallback(orderId, "timeout");
    if (!(sol && sol > 0)) return { ok: false, reason: "no_sol_price" };
    const amount = p.amountAt(sol);
    if (amount <= 0n) return { ok: false, reason: "nothing_to_quote" };
    // Taken (and stored) right before the call, only when spare: a simulated fill never waits for one.
    if (!takeSimQuoteToken(d, cfg)) return { ok: false, reason: "no_spare_token" };
    const res = await fetchQuote(
      d.env,
      {
        inputMint: p.inputMint,
        outputMint: p.outputMint,
        amount: amount.toString(),
        slippageBps: cfg.slippage_bps,
      },
      { signal: abort.signal },
    );
    if (!res.ok) return fallback(orderId, res.no_route ? "no_route" : `quote_error:${res.error_code}`);
    const q = res.quote;
    const slot = Number(q.contextSlot);
    // The answer must be for what was asked, and carry the slot the order records as its model.
    if (q.inputMint !== p.inputMint || q.outputMint !== p.outputMint || q.inAmount !== amount.toString())
      return fallback(orderId, "quote_mismatch");
    if (q.swapMode !== "ExactIn") return fallback(orderId, "quote_mismatch");
    if (!Number.isSafeInteger(slot) || slot < 0) return fallback(orderId, "quote_without_slot");
    return { ok: true, quote: q, amount, sol_price_usd: sol, slot };
  } catch (err) {
    if (abort.signal.aborted) return fallback(orderId, "timeout");
    if (err instanceof UpstreamError && err.status === 429) {
      // Jupiter says we are over the limit: the live orders wait for its reset instead of hitting it too.
      if (err.retryAfterMs !== undefined)
        d.bucket.write(bucketHeldUntil(d.bucket.read(), bucketLimits(cfg), Date.now() + err.retryAfterMs, Date.now()));
      return fallback(orderId, "rate_limited");
    }
    return fallback(orderId, err instanceof UpstreamError ? `upstream_${err.kind}` : "error", err);
  } finally {
    clearTimeout(timer);
  }
}

function fallback(orderId: string, reason: string, err?: unknown): { ok: false; reason: string } {
  log.info("sim_quote_fallback", {
    order_id: orderId,
    reason,
    ...(err ? { error: errorMessage(err) } : {}),
  });
  return { ok: false, reason };
}
