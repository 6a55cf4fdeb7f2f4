/**
 * Guardrails of live trading (issue 11): what must hold before a wallet may be `live` and before the master
 * switch may be turned on. Pure: callers pass the key's state (src/lib/trading-wallet.ts) and the config.
 */

/**
 * True since the LiveExecutor (src/pipeline/live-executor.ts) runs inside the SwapQueue
 * (src/pipeline/live-queue.ts; test/live-queue.test.ts drives a live BUY and exit end to end). Kept as a
 * constant so that a build without the executor can refuse the master switch again.
 */
export const LIVE_EXECUTION_WIRED: boolean = true;
export const LIVE_NOT_WIRED_REASON = "live execution is not wired into the swap queue in this build";

export type LiveKeyState = { state: "missing" } | { state: "malformed"; problem: string } | { state: "ok" };

export interface LiveReadiness {
  key: LiveKeyState;
  /** config.live_trading_enabled */
  switch_on: boolean;
}

/** Why a wallet cannot be live now, each reason naming what is missing; empty = it may. */
export function liveRefusals(r: LiveReadiness): string[] {
  const out: string[] = [];
  if (r.key.state === "missing")
    out.push("mode: live trading needs WALLET_PRIVATE_KEY to be configured; use simulation");
  else if (r.key.state === "malformed") out.push(`mode: live trading needs a valid key: ${r.key.problem}`);
  if (!r.switch_on) out.push("mode: live trading is switched off (config live_trading_enabled is false)");
  return out;
}

/** A refusal of turning the master switch on (null = allowed); turning it off is always allowed. */
export function liveSwitchRefusal(
  before: boolean,
  after: boolean,
  key: LiveKeyState,
  wired = LIVE_EXECUTION_WIRED,
): string | null {
  if (!after || before) return null;
  if (!wired) return `live_trading_enabled: ${LIVE_NOT_WIRED_REASON}`;
  if (key.state === "missing") return "live_trading_enabled: WALLET_PRIVATE_KEY is not configured";
  if (key.state === "malformed") return `live_trading_enabled: ${key.problem}`;
  return null;
}
