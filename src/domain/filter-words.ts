import type { FilterReason } from "./signal-filters";

/**
 * A filtered signal's reason in words, with its numbers: what the signal row recorded (size, safety
 * score, on-chain and reception times) against the limits it was decided on. Those come from the row's
 * `filter_detail` (the numbers of that moment, issue 13); a row written before it existed falls back to the
 * config's limits now.
 */
export interface FilterFacts {
  filter_reason: string | null;
  signal_type: string;
  sol_amount: number | null;
  safety_score: number | null;
  block_time: string | null;
  webhook_received_at: string | null;
  /** The stored decision numbers (JSON), or null. */
  filter_detail?: string | null;
}

export interface FilterLimits {
  min_leader_trade_sol: number;
  max_leader_trade_sol: number;
  max_signal_age_seconds: number;
  safety_threshold: number;
  max_open_positions: number;
  max_total_exposure_usd: number;
  mint_cooldown_seconds: number;
}

const n = (v: number | null, digits = 3) => (v == null || !Number.isFinite(v) ? "?" : String(+v.toFixed(digits)));

/** The limits a signal was decided on: the stored ones where the row has them, else today's config. */
export function limitsOfDecision(s: FilterFacts, now: FilterLimits): FilterLimits {
  let stored: Record<string, unknown> = {};
  try {
    const v: unknown = s.filter_detail ? JSON.parse(s.filter_detail) : null;
    if (v && typeof v === "object") stored = v as Record<string, unknown>;
  } catch {
    return now; // an unreadable detail is no reason to hide the words
  }
  const out = { ...now };
  for (const k of Object.keys(now) as (keyof FilterLimits)[]) {
    const x = stored[k];
    if (typeof x === "number" && Number.isFinite(x)) out[k] = x;
  }
  return out;
}

export function filterInWords(s: FilterFacts, current: FilterLimits): string {
  const cfg = limitsOfDecision(s, current);
  const reason = s.filter_reason as FilterReason | null;
  switch (reason) {
    case null:
      return "filtered (no reason recorded)";
    case "leader_trade_too_small":
      return `leader's trade ${n(s.sol_amount)} SOL is below the minimum ${n(cfg.min_leader_trade_sol)} SOL (range ${n(cfg.min_leader_trade_sol)}–${n(cfg.max_leader_trade_sol)} SOL)`;
    case "leader_trade_too_large":
      return `leader's trade ${n(s.sol_amount)} SOL is above the maximum ${n(cfg.max_leader_trade_sol)} SOL (range ${n(cfg.min_leader_trade_sol)}–${n(cfg.max_leader_trade_sol)} SOL)`;
    case "stale_signal": {
      const age =
        s.block_time && s.webhook_received_at
          ? (Date.parse(s.webhook_received_at) - Date.parse(s.block_time)) / 1000
          : null;
      return `signal was ${n(age, 1)} s old when received; the limit is ${cfg.max_signal_age_seconds} s`;
    }
    case "safety_check_failed":
      return `token safety score ${n(s.safety_score, 2)} is below the threshold ${n(cfg.safety_threshold, 2)}`;
    case "safety_unavailable":
      return "the token safety check could not be run (upstream unavailable), so the buy was not copied";
    case "max_open_positions":
      return `already at the limit of ${cfg.max_open_positions} open positions`;
    case "max_exposure":
      return `the entry would take total exposure above the limit of $${n(cfg.max_total_exposure_usd, 2)}`;
    case "mint_cooldown":
      return `this token was exited less than ${cfg.mint_cooldown_seconds} s ago (cooldown)`;
    case "already_bought":
      return "this leader's earlier buy of the token was already copied (rebuys are off)";
    case "circuit_breaker":
      return "the circuit breaker was open: new entries are stopped";
    case "inactive_wallet":
      return "the wallet is paused (inactive): its buys are not copied";
    case "duplicate":
      return "the same transaction was already recorded";
    case "not_a_trade":
      return "not a trade (a transfer, airdrop or mint: nothing paid or received)";
    case "unsupported_pair":
      return "unsupported pair (token-to-token or quote-to-quote swap)";
    case "failed_transaction":
      return "the leader's transaction failed on chain";
    case "price_unavailable":
      return "the SOL price needed to size or compare the trade was unknown";
    case "position_size_zero":
      return "sizing gave nothing to buy (check the sizing mode and minimum position)";
    case "token_decimals_unknown":
      return "the token's decimals are unknown";
    case "enqueue_failed":
      return "the swap queue kept failing until the trade was too old to copy";
    case "no_open_position":
      return "a SELL with no open position copied from this leader for the token";
    default:
      return `filtered: ${s.filter_reason}`;
  }
}
