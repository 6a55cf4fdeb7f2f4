/**
 * Failure policy of a live swap (issue 11), from Jupiter's and the RPC's documented errors
 * (https://dev.jup.ag/docs/swap/common-errors; ../shared/fixtures/jupiter-notes.md). Pure: the executor
 * classifies what it saw, this decides what happens next.
 */

export type LiveFailureKind =
  /** Price moved past the tolerance (Jupiter 6001 / 6017): re-quote with more slippage, within the cap. */
  | "slippage"
  /** No route / token not tradable: terminal for an entry; an exit is `stuck` and retried with backoff. */
  | "no_route"
  /** HTTP 429: wait for the reset, then the same step again. */
  | "rate_limited"
  /** The wallet cannot pay (Jupiter 6024, token/system program error 1): terminal, balances refreshed. */
  | "insufficient_funds"
  /** Network, timeout, 5xx: the same step again shortly (never a new signature while one can land). */
  | "transient"
  /** Anything else (malformed answer, unknown program error): terminal, a dead letter for the operator. */
  | "fatal";

export interface LiveFailure {
  kind: LiveFailureKind;
  /** A short code for the order row and the alert (`SLIPPAGE_TOLERANCE_EXCEEDED`, `HTTP_429`, …). */
  code: string;
  detail: string;
  /** For `rate_limited`: how long the upstream asked to wait (ms), when it said so. */
  retry_after_ms?: number;
}

const SLIPPAGE_CODES = new Set([6001, 6017]);
const INSUFFICIENT_CODES = new Set([6024]);
const NO_ROUTE_CODES = new Set([
  "COULD_NOT_FIND_ANY_ROUTE",
  "NO_ROUTES_FOUND",
  "TOKEN_NOT_TRADABLE",
  "ROUTE_PLAN_DOES_NOT_CONSUME_ALL_THE_AMOUNT",
]);

/** `{"InstructionError":[3,{"Custom":6001}]}` → 6001; `{"InstructionError":[0,"InsufficientFunds"]}` → the name. */
export function instructionError(err: unknown): { custom?: number; name?: string } | null {
  if (!err || typeof err !== "object") return null;
  const ie = (err as { InstructionError?: unknown }).InstructionError;
  if (!Array.isArray(ie) || ie.length < 2) return null;
  const inner = ie[1];
  if (typeof inner === "string") return { name: inner };
  if (inner && typeof inner === "object" && "Custom" in inner) {
    const c = Number((inner as { Custom: unknown }).Custom);
    return Number.isFinite(c) ? { custom: c } : null;
  }
  return null;
}

/** A transaction that landed with an error (`meta.err` / status `err`). */
export function classifyOnChainError(err: unknown): LiveFailure {
  const ie = instructionError(err);
  // RPC clients parse the error's integers as bigints (kit does): print them as numbers.
  const text = JSON.stringify(err ?? null, (_k, v) => (typeof v === "bigint" ? Number(v) : v)).slice(0, 200);
  if (ie?.custom !== undefined && SLIPPAGE_CODES.has(ie.custom))
    return { kind: "slippage", code: "SLIPPAGE_TOLERANCE_EXCEEDED", detail: `landed failed: ${text}` };
  // Custom 1 is InsufficientFunds of the token program (and lamports of the system program).
  if (
    (ie?.custom !== undefined && (INSUFFICIENT_CODES.has(ie.custom) || ie.custom === 1)) ||
    ie?.name === "InsufficientFunds"
  )
    return { kind: "insufficient_funds", code: "INSUFFICIENT_FUNDS", detail: `landed failed: ${text}` };
  if (typeof err === "string" && /InsufficientFunds/i.test(err))
    return { kind: "insufficient_funds", code: "INSUFFICIENT_FUNDS", detail: `landed failed: ${text}` };
  return { kind: "fatal", code: "TRANSACTION_FAILED", detail: `landed failed: ${text}` };
}

/** Jupiter `/swap` 200 with a `simulationError` ({errorCode, error}). */
export function classifySimulationError(e: { errorCode?: string; error?: string }): LiveFailure {
  const code = e.errorCode ?? "SIMULATION_FAILED";
  const text = `${code} ${e.error ?? ""}`;
  if (/slippage|0x1771|\b6001\b|0x1779|\b6017\b/i.test(text))
    return { kind: "slippage", code: "SLIPPAGE_TOLERANCE_EXCEEDED", detail: `simulation: ${code}` };
  if (/insufficient|0x1798|\b6024\b|no record of a prior credit/i.test(text))
    return { kind: "insufficient_funds", code: "INSUFFICIENT_FUNDS", detail: `simulation: ${code}` };
  if (NO_ROUTE_CODES.has(code)) return { kind: "no_route", code, detail: `simulation: ${code}` };
  return { kind: "fatal", code, detail: `simulation: ${code}` };
}

/** Jupiter `/quote` 400 `{error, errorCode}`. */
export function classifyQuoteError(errorCode: string): LiveFailure {
  if (NO_ROUTE_CODES.has(errorCode)) return { kind: "no_route", code: errorCode, detail: `quote: ${errorCode}` };
  return { kind: "fatal", code: errorCode, detail: `quote: ${errorCode}` };
}

/** An upstream transport failure (UpstreamError's status / retryable, as plain data). */
export function classifyTransport(t: {
  status: number | null;
  retryable: boolean;
  message: string;
  retry_after_ms?: number;
}): LiveFailure {
  if (t.status === 429)
    return {
      kind: "rate_limited",
      code: "HTTP_429",
      detail: t.message,
      ...(t.retry_after_ms !== undefined ? { retry_after_ms: t.retry_after_ms } : {}),
    };
  if (t.retryable) return { kind: "transient", code: t.status ? `HTTP_${t.status}` : "UNAVAILABLE", detail: t.message };
  if (/insufficient|no record of a prior credit/i.test(t.message))
    return { kind: "insufficient_funds", code: "INSUFFICIENT_FUNDS", detail: t.message };
  return { kind: "fatal", code: t.status ? `HTTP_${t.status}` : "UPSTREAM_REFUSED", detail: t.message };
}

export interface RetryPolicy {
  slippage_bps: number;
  max_slippage_bps: number;
  max_swap_retries: number;
}

/** Default wait when a 429 does not say how long (Jupiter's window is 60 s sliding; 10 s is a fair first try). */
export const RATE_LIMIT_DEFAULT_WAIT_MS = 10_000;
/** Transient failures: 1 s, 2 s, 4 s … capped at 30 s. */
export const transientDelayMs = (n: number) => Math.min(30_000, 1000 * 2 ** Math.max(0, n - 1));
/** A stuck exit: 30 s, 60 s, 120 s … capped at 15 min, forever, until it lands or the operator steps in. */
export const stuckDelayMs = (n: number) => Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, n - 1));

/**
 * The slippage of the next attempt after a slippage failure: +50 % of the current (at least +50 bps), never
 * above the cap; null when the cap is already reached (the order fails, it never asks for more).
 */
export function nextSlippageBps(current: number, cap: number): number | null {
  if (current >= cap) return null;
  return Math.min(cap, Math.max(current + 50, Math.ceil(current * 1.5)));
}

export type FailureDecision =
  | { action: "requote"; slippage_bps: number }
  | { action: "retry_same_step"; delay_ms: number }
  | { action: "stuck"; delay_ms: number }
  | { action: "fail"; terminal_reason: string };

/**
 * What a failure means for the order. `requotes` = re-quotes already made after slippage or expiry;
 * `stuck_retries` = exit retries already made while stuck; `transient_retries` for the current step.
 */
export function decideFailure(
  f: LiveFailure,
  ctx: {
    purpose: "entry" | "exit";
    slippage_bps: number;
    policy: RetryPolicy;
    requotes: number;
    stuck_retries: number;
    transient_retries: number;
  },
): FailureDecision {
  switch (f.kind) {
    case "slippage": {
      if (ctx.requotes >= ctx.policy.max_swap_retries)
        return { action: "fail", terminal_reason: `${f.code}: ${ctx.requotes} re-quotes made (max_swap_retries)` };
      const next = nextSlippageBps(ctx.slippage_bps, ctx.policy.max_slippage_bps);
      if (next === null)
        return {
          action: "fail",
          terminal_reason: `${f.code}: slippage already at max_slippage_bps (${ctx.policy.max_slippage_bps})`,
        };
      return { action: "requote", slippage_bps: next };
    }
    case "no_route":
      return ctx.purpose === "entry"
        ? { action: "fail", terminal_reason: `${f.code}: the token has no route (entry abandoned)` }
        : { action: "stuck", delay_ms: stuckDelayMs(ctx.stuck_retries + 1) };
    case "rate_limited":
      return { action: "retry_same_step", delay_ms: f.retry_after_ms ?? RATE_LIMIT_DEFAULT_WAIT_MS };
    case "transient":
      // An exit never gives up on a flaky upstream; an entry stops after a few tries (its signal goes stale).
      if (ctx.purpose === "entry" && ctx.transient_retries >= 5)
        return {
          action: "fail",
          terminal_reason: `${f.code}: upstream unavailable after ${ctx.transient_retries} retries`,
        };
      return { action: "retry_same_step", delay_ms: transientDelayMs(ctx.transient_retries + 1) };
    case "insufficient_funds":
      return { action: "fail", terminal_reason: `${f.code}: the trading wallet cannot pay for this swap` };
    case "fatal":
      return { action: "fail", terminal_reason: `${f.code}: ${f.detail}` };
  }
}
