import type { Config } from "./config";
import type { FilterReason } from "./signal-filters";

/**
 * Copy rules (DESIGN §4), per watched wallet with the config as default: the leader's trade size must be
 * in [min, max] SOL (spam buys are tiny), buy-once per token per leader unless re-buys are allowed (a
 * re-buy is sized as a percentage of the first entry), a cooldown per mint after an exit, a cap on open
 * positions and one on total exposure. Pure: the actor gathers the facts, this decides.
 */
export interface WalletOverrides {
  min_leader_trade_sol: number | null;
  max_leader_trade_sol: number | null;
  allow_rebuys: boolean | null;
  rebuy_size_percent: number | null;
  mint_cooldown_seconds: number | null;
}

export type CopyRuleConfig = Pick<
  Config,
  | "min_leader_trade_sol"
  | "max_leader_trade_sol"
  | "allow_rebuys"
  | "rebuy_size_percent"
  | "mint_cooldown_seconds"
  | "max_open_positions"
  | "max_total_exposure_usd"
>;

export interface EffectiveCopyRules {
  min_leader_trade_sol: number;
  max_leader_trade_sol: number;
  allow_rebuys: boolean;
  rebuy_size_percent: number;
  mint_cooldown_seconds: number;
  max_open_positions: number;
  max_total_exposure_usd: number;
}

export function effectiveCopyRules(config: CopyRuleConfig, w: Partial<WalletOverrides>): EffectiveCopyRules {
  return {
    min_leader_trade_sol: w.min_leader_trade_sol ?? config.min_leader_trade_sol,
    max_leader_trade_sol: w.max_leader_trade_sol ?? config.max_leader_trade_sol,
    allow_rebuys: w.allow_rebuys ?? config.allow_rebuys,
    rebuy_size_percent: w.rebuy_size_percent ?? config.rebuy_size_percent,
    mint_cooldown_seconds: w.mint_cooldown_seconds ?? config.mint_cooldown_seconds,
    max_open_positions: config.max_open_positions,
    max_total_exposure_usd: config.max_total_exposure_usd,
  };
}

/** What the actor knows when a BUY arrives. */
export interface CopyFacts {
  /** The leader's trade size in SOL (a USD-quoted trade converted with the SOL price). */
  leader_trade_sol: number;
  /** USD of the first entry this leader's signals already made in this mint (position or queued order); null = none. */
  prior_entry_usd: number | null;
  /** When a position in this mint (from any leader) last closed; null = never. */
  last_exit_at_ms: number | null;
  now_ms: number;
  /** Open positions plus entries queued but not filled yet. */
  open_positions: number;
  /** USD at risk: cost of open positions plus queued entries. */
  exposure_usd: number;
}

export type RuleDecision = { ok: true; rebuy: boolean } | { ok: false; reason: FilterReason; detail: string };

/**
 * The leader's trade size against the wallet's bounds: the one rule that needs no facts, so a BUY outside them
 * is filtered before any lookup is asked (no safety or price call for a trade that is never copied). Null: ok.
 */
export function checkLeaderTradeSize(
  r: Pick<EffectiveCopyRules, "min_leader_trade_sol" | "max_leader_trade_sol">,
  leaderTradeSol: number,
): Extract<RuleDecision, { ok: false }> | null {
  if (leaderTradeSol < r.min_leader_trade_sol)
    return { ok: false, reason: "leader_trade_too_small", detail: `${leaderTradeSol} SOL < ${r.min_leader_trade_sol}` };
  if (leaderTradeSol > r.max_leader_trade_sol)
    return { ok: false, reason: "leader_trade_too_large", detail: `${leaderTradeSol} SOL > ${r.max_leader_trade_sol}` };
  return null;
}

/** Every rule that does not need the entry size; the first that fails names the filter reason. */
export function checkCopyRules(r: EffectiveCopyRules, f: CopyFacts): RuleDecision {
  const size = checkLeaderTradeSize(r, f.leader_trade_sol);
  if (size) return size;
  const rebuy = f.prior_entry_usd !== null;
  if (rebuy && !r.allow_rebuys)
    return { ok: false, reason: "already_bought", detail: "this leader's earlier buy of the mint was already copied" };
  if (f.last_exit_at_ms !== null && f.now_ms - f.last_exit_at_ms < r.mint_cooldown_seconds * 1000)
    return {
      ok: false,
      reason: "mint_cooldown",
      detail: `last exit ${Math.floor((f.now_ms - f.last_exit_at_ms) / 1000)} s ago < ${r.mint_cooldown_seconds} s`,
    };
  if (f.open_positions >= r.max_open_positions)
    return { ok: false, reason: "max_open_positions", detail: `${f.open_positions} open >= ${r.max_open_positions}` };
  return { ok: true, rebuy };
}

/** The exposure cap, once the entry size is known: the new entry must fit under it. */
export function checkExposure(r: EffectiveCopyRules, exposureUsd: number, entryUsd: number): RuleDecision {
  if (exposureUsd + entryUsd > r.max_total_exposure_usd + 1e-9)
    return {
      ok: false,
      reason: "max_exposure",
      detail: `${exposureUsd.toFixed(2)} + ${entryUsd.toFixed(2)} USD > ${r.max_total_exposure_usd}`,
    };
  return { ok: true, rebuy: false };
}

/**
 * The book caps again, at execution, by the SwapQueue — the one place entries run one at a time. The
 * WalletActors check them early (per leader, so two leaders buying at once could both pass); this check
 * sees every position already opened before this entry and is the one that holds.
 */
export function checkBookCaps(
  caps: { max_open_positions: number; max_total_exposure_usd: number },
  book: { open_positions: number; exposure_usd: number },
  entryUsd: number,
): { ok: true } | { ok: false; reason: "max_open_positions" | "max_exposure"; detail: string } {
  if (book.open_positions >= caps.max_open_positions)
    return {
      ok: false,
      reason: "max_open_positions",
      detail: `${book.open_positions} open >= ${caps.max_open_positions}`,
    };
  if (book.exposure_usd + entryUsd > caps.max_total_exposure_usd + 1e-9)
    return {
      ok: false,
      reason: "max_exposure",
      detail: `${book.exposure_usd.toFixed(2)} + ${entryUsd.toFixed(2)} USD > ${caps.max_total_exposure_usd}`,
    };
  return { ok: true };
}
