/**
 * The state machine of one live order (issue 11): `pending → quoted → signed → submitted → executed |
 * failed | expired`. Pure data in, data out; the LiveExecutor (src/pipeline/live-executor.ts) does the I/O
 * and persists every state before its next step.
 *
 * Idempotency rules it encodes:
 * - The signature is part of the `signed` state, so it is stored before the first send.
 * - From `signed`/`submitted` the only ways out are the signature's own outcome (confirmed → executed,
 *   landed failed → failure policy) or `expired`, which needs the chain's block height above the
 *   blockhash's `lastValidBlockHeight` AND a status check after that observation still answering "not
 *   found". Only then may a new attempt re-quote and re-sign. "Not found yet" is never a failure.
 * - A state never moves backwards: `progress()` orders states by (attempt, status) and `transitionAllowed`
 *   refuses anything that goes back, or leaves a terminal state.
 */
import type { LiveFailure, RetryPolicy } from "./live-failure";

export const LIVE_ORDER_STATUSES = [
  "pending",
  "quoted",
  "signed",
  "submitted",
  "executed",
  "failed",
  "expired",
] as const;
export type LiveOrderStatus = (typeof LIVE_ORDER_STATUSES)[number];
export const TERMINAL_LIVE_STATUSES: readonly LiveOrderStatus[] = ["executed", "failed", "expired"];

const RANK: Record<LiveOrderStatus, number> = {
  pending: 0,
  quoted: 1,
  signed: 2,
  submitted: 3,
  // One attempt ends in one of these; the order's last attempt's end is the order's end.
  executed: 4,
  failed: 4,
  expired: 4,
};

export interface LiveOrderIntent {
  /** The SwapQueue's order id: one live order = one intent, whatever retries and crashes happen. */
  order_id: string;
  /** `buy` spends SOL for the token; `sell` sells the token for SOL. */
  side: "buy" | "sell";
  /** Entries and exits have different failure policies (an exit is never abandoned on no route). */
  purpose: "entry" | "exit";
  token_mint: string;
  /** Base units of the input: lamports for a buy, token base units for a sell (integer string). */
  amount: string;
}

export interface LiveFill {
  signature: string;
  slot: number;
  block_time: number | null;
  /** Token base units the wallet gained (buy, > 0) or lost (sell, > 0), from the confirmed transaction. */
  token_amount: string;
  token_decimals: number | null;
  /** Lamports the wallet spent (buy) or received (sell), network and priority fees included. */
  sol_lamports: string;
  fee_lamports: number;
  quoted_out_amount: string | null;
}

export interface LiveAttempt {
  attempt: number;
  slippage_bps: number;
  signature: string | null;
  outcome: "expired" | "failed" | "slippage" | "executed" | null;
}

export interface LiveOrderState {
  intent: LiveOrderIntent;
  status: LiveOrderStatus;
  /** 1-based; a re-quote (slippage, expiry) starts the next attempt. */
  attempt: number;
  slippage_bps: number;
  /**
   * The amount really swapped (base units), after the money limits (spend cap / real holding), fixed
   * before the first quote and kept for every later attempt.
   */
  sized_amount: string | null;
  /** Jupiter's QuoteResponse, passed back to /swap unchanged. */
  quote: Record<string, unknown> | null;
  quoted_out_amount: string | null;
  signature: string | null;
  /** The signed wire transaction (base64): rebroadcast as-is, lands at most once. Public once sent. */
  wire: string | null;
  last_valid_block_height: number | null;
  /** Sends of the current signature (first send + rebroadcasts). */
  sends: number;
  last_sent_at: number | null;
  /** Set when the chain was seen above last_valid_block_height; expiry needs a status check after this. */
  height_passed_at: number | null;
  /** Do nothing before this (429 reset, backoff): the caller re-runs the order then. */
  not_before: number | null;
  /** An exit without a route: kept retrying with backoff; an alert is owed. */
  stuck: boolean;
  requotes: number;
  stuck_retries: number;
  transient_retries: number;
  failure: LiveFailure | null;
  terminal_reason: string | null;
  fill: LiveFill | null;
  attempts: LiveAttempt[];
  /** When each status was reached (ms), for the order row's timings. */
  timings: Partial<Record<LiveOrderStatus, number>>;
  updated_at: number;
}

export function newLiveOrder(intent: LiveOrderIntent, slippage_bps: number, now: number): LiveOrderState {
  return {
    intent,
    status: "pending",
    attempt: 1,
    slippage_bps,
    sized_amount: null,
    quote: null,
    quoted_out_amount: null,
    signature: null,
    wire: null,
    last_valid_block_height: null,
    sends: 0,
    last_sent_at: null,
    height_passed_at: null,
    not_before: null,
    stuck: false,
    requotes: 0,
    stuck_retries: 0,
    transient_retries: 0,
    failure: null,
    terminal_reason: null,
    fill: null,
    attempts: [{ attempt: 1, slippage_bps, signature: null, outcome: null }],
    timings: { pending: now },
    updated_at: now,
  };
}

export const isTerminal = (s: Pick<LiveOrderState, "status">) => TERMINAL_LIVE_STATUSES.includes(s.status);
/** A signature exists that may still land: the order must be reconciled, never re-quoted or re-signed. */
export const mayStillLand = (s: Pick<LiveOrderState, "status">) => s.status === "signed" || s.status === "submitted";

export const progress = (s: Pick<LiveOrderState, "attempt" | "status">) => s.attempt * 10 + RANK[s.status];

/** Whether `next` may replace `prev` in storage: forward only, terminal states are final. */
export function transitionAllowed(prev: LiveOrderState | null, next: LiveOrderState): boolean {
  if (!prev) return next.status === "pending" && next.attempt === 1;
  if (prev.intent.order_id !== next.intent.order_id) return false;
  if (isTerminal(prev)) return false;
  if (progress(next) < progress(prev)) return false;
  // The sized amount is fixed once set.
  if (prev.sized_amount !== null && next.sized_amount !== prev.sized_amount) return false;
  // The signature of an attempt is fixed once signed.
  if (mayStillLand(prev) && next.attempt === prev.attempt && next.signature !== prev.signature) return false;
  return true;
}

const at = (s: LiveOrderState, status: LiveOrderStatus, now: number): LiveOrderState => ({
  ...s,
  status,
  timings: { ...s.timings, [status]: s.timings[status] ?? now },
  updated_at: now,
});

const setAttempt = (s: LiveOrderState, patch: Partial<LiveAttempt>): LiveAttempt[] =>
  s.attempts.map((a) => (a.attempt === s.attempt ? { ...a, ...patch } : a));

/** The money limits were applied: this amount is what every attempt of the order swaps. */
export function sized(s: LiveOrderState, amount: string, now: number): LiveOrderState {
  if (s.status !== "pending" || s.sized_amount !== null) throw new Error("sized twice");
  if (!/^\d+$/.test(amount) || BigInt(amount) <= 0n) throw new RangeError("sized amount must be a positive integer");
  return { ...s, sized_amount: amount, updated_at: now };
}

export function quoted(s: LiveOrderState, quote: Record<string, unknown>, outAmount: string, now: number) {
  if (s.status !== "pending") throw new Error(`quoted from ${s.status}`);
  return { ...at(s, "quoted", now), quote, quoted_out_amount: outAmount, not_before: null, transient_retries: 0 };
}

export function signed(
  s: LiveOrderState,
  tx: { signature: string; wire: string; last_valid_block_height: number },
  now: number,
): LiveOrderState {
  if (s.status !== "quoted") throw new Error(`signed from ${s.status}`);
  return {
    ...at(s, "signed", now),
    signature: tx.signature,
    wire: tx.wire,
    last_valid_block_height: tx.last_valid_block_height,
    sends: 0,
    height_passed_at: null,
    not_before: null,
    transient_retries: 0,
    attempts: setAttempt(s, { signature: tx.signature }),
  };
}

/** A send (first or rebroadcast) was made; whatever the node answered, the bytes may land. */
export function sent(s: LiveOrderState, now: number): LiveOrderState {
  if (!mayStillLand(s)) throw new Error(`sent from ${s.status}`);
  return { ...at(s, "submitted", now), sends: s.sends + 1, last_sent_at: now };
}

export function executed(s: LiveOrderState, fill: LiveFill, now: number): LiveOrderState {
  if (!mayStillLand(s)) throw new Error(`executed from ${s.status}`);
  return {
    ...at(s, "executed", now),
    fill,
    stuck: false,
    not_before: null,
    failure: null,
    attempts: setAttempt(s, { outcome: "executed" }),
  };
}

/** The chain is past the blockhash's last valid height: expiry is decided at the next "not found". */
export const heightPassed = (s: LiveOrderState, now: number): LiveOrderState =>
  s.height_passed_at === null ? { ...s, height_passed_at: now, updated_at: now } : s;

/**
 * The current attempt is over without landing (expired) or landed failed with slippage: a new attempt
 * re-quotes, unless the retries are used up (then the order ends `expired` / `failed`).
 */
export function attemptEnded(
  s: LiveOrderState,
  why: "expired" | "slippage",
  policy: RetryPolicy,
  nextSlippage: number | null,
  now: number,
  failure: LiveFailure | null = null,
): LiveOrderState {
  const attempts = setAttempt(s, { outcome: why });
  if (s.requotes >= policy.max_swap_retries || nextSlippage === null) {
    const status = why === "expired" ? "expired" : "failed";
    return {
      ...at(s, status, now),
      attempts,
      failure,
      terminal_reason:
        why === "expired"
          ? `EXPIRED: blockhash expired unconfirmed after ${s.requotes} re-quotes (max_swap_retries ${policy.max_swap_retries})`
          : `SLIPPAGE_TOLERANCE_EXCEEDED: ${s.requotes} re-quotes made, slippage ${s.slippage_bps} bps (max_slippage_bps ${policy.max_slippage_bps})`,
    };
  }
  const attempt = s.attempt + 1;
  return {
    ...s,
    status: "pending",
    attempt,
    slippage_bps: nextSlippage,
    quote: null,
    quoted_out_amount: null,
    signature: null,
    wire: null,
    last_valid_block_height: null,
    sends: 0,
    last_sent_at: null,
    height_passed_at: null,
    not_before: null,
    requotes: s.requotes + 1,
    transient_retries: 0,
    failure,
    attempts: [...attempts, { attempt, slippage_bps: nextSlippage, signature: null, outcome: null }],
    updated_at: now,
  };
}

/** Terminal failure (no route for an entry, insufficient funds, a fatal answer, retries exhausted). */
export function failed(s: LiveOrderState, failure: LiveFailure, reason: string, now: number): LiveOrderState {
  return {
    ...at(s, "failed", now),
    failure,
    terminal_reason: reason,
    not_before: null,
    attempts: setAttempt(s, { outcome: "failed" }),
  };
}

/**
 * Wait before the same step again (429, transient, a stuck exit's backoff). Only before signing: a
 * signed order is reconciled by its signature, never re-quoted.
 */
export function deferred(
  s: LiveOrderState,
  failure: LiveFailure,
  until: number,
  how: "rate_limited" | "transient" | "stuck",
  now: number,
): LiveOrderState {
  const base = { ...s, failure, not_before: until, updated_at: now };
  if (how === "stuck") return { ...base, stuck: true, stuck_retries: s.stuck_retries + 1 };
  if (how === "transient") return { ...base, transient_retries: s.transient_retries + 1 };
  return base;
}

/**
 * A quote that can no longer be used (its swap had no route, or it waited out a backoff) is replaced by a new
 * attempt that quotes again. Only before signing, and it is not a re-quote after slippage or expiry, so it
 * does not count against max_swap_retries.
 */
export function restartAttempt(s: LiveOrderState, now: number): LiveOrderState {
  if (s.status !== "quoted") throw new Error(`restartAttempt from ${s.status}`);
  const attempt = s.attempt + 1;
  return {
    ...s,
    status: "pending",
    attempt,
    quote: null,
    quoted_out_amount: null,
    attempts: [
      ...setAttempt(s, { outcome: "failed" }),
      { attempt, slippage_bps: s.slippage_bps, signature: null, outcome: null },
    ],
    updated_at: now,
  };
}
