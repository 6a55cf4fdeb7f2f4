import type { Config } from "./config";
import { entryTimeVerdict } from "./signal-filters";
import { PRIORITY_RANK, type SwapRequest } from "./swap-order";
import type { BucketLimits } from "./token-bucket";

/** Shape checks the type system cannot make across RPC (another actor may send anything to the SwapQueue). */
export function requestProblem(r: SwapRequest): string | null {
  if (!r || typeof r !== "object") return "body";
  if (typeof r.idempotency_key !== "string" || !r.idempotency_key || r.idempotency_key.length > 200)
    return "idempotency_key";
  if (r.side !== "buy" && r.side !== "sell") return "side";
  if (!(r.priority in PRIORITY_RANK)) return "priority";
  if (r.mode !== "simulation" && r.mode !== "live") return "mode";
  if (typeof r.token_mint !== "string" || !r.token_mint) return "token_mint";
  // Opaque (a transaction signature in production, readable markers in tests): only its shape is checked.
  if (
    r.signal_signature !== undefined &&
    !(typeof r.signal_signature === "string" && r.signal_signature.length > 0 && r.signal_signature.length <= 200)
  )
    return "signal_signature";
  if (r.side === "buy") {
    if (!(typeof r.requested_usd === "number" && Number.isFinite(r.requested_usd) && r.requested_usd > 0))
      return "requested_usd";
    if (!r.entry || typeof r.entry.source_wallet_address !== "string") return "entry";
    const d = r.entry.token_decimals;
    if (!Number.isInteger(d) || d < 0 || d > 18) return "entry.token_decimals";
    // Not range-checked here: a future or absurd block time is a refusal (invalid_timestamp), not a bad shape.
    if (r.leader_block_time !== undefined && typeof r.leader_block_time !== "number") return "leader_block_time";
    if (r.leader_slot !== undefined && !(Number.isSafeInteger(r.leader_slot) && r.leader_slot >= 0))
      return "leader_slot";
  } else {
    if (typeof r.position_id !== "string" || !r.position_id) return "position_id";
    if (r.sell_amount !== undefined && !/^\d+$/.test(r.sell_amount)) return "sell_amount";
    if (r.sell_fraction !== undefined && !(r.sell_fraction > 0 && r.sell_fraction <= 1)) return "sell_fraction";
    if (r.trigger_price_usd !== undefined && !(r.trigger_price_usd > 0)) return "trigger_price_usd";
    if (r.scaling_level !== undefined && !(Number.isFinite(r.scaling_level) && r.scaling_level > 0))
      return "scaling_level";
  }
  return null;
}

export function bucketLimits(cfg: Config): BucketLimits {
  return { per_second: cfg.jupiter_swaps_per_second, burst: cfg.jupiter_swap_burst };
}

/**
 * Why an entry not executed yet must not execute now, in the order the queue checks (DESIGN §4): an open
 * breaker holds NORMAL entries, a leader who sold the mint first cancels it, and the age is measured from the
 * leader's trade however long the entry waited (WallTrack never chases an old trade). null: it may go on.
 */
export function entryRefusal(e: {
  priority: SwapRequest["priority"];
  breaker_open: boolean;
  leader_exited: boolean;
  leader_block_time: number | undefined;
  now_ms: number;
  max_signal_age_seconds: number;
}): string | null {
  if (e.priority === "normal" && e.breaker_open) return "circuit_breaker";
  if (e.leader_exited) return "leader_exited";
  if (e.leader_block_time !== undefined) {
    const age = entryTimeVerdict(e.leader_block_time, e.now_ms, e.max_signal_age_seconds);
    if (age !== "ok") return age;
  }
  return null;
}

/** A BUY still without a price: it waits, until the signal is stale (from the enqueue time for old requests). */
export function priceWaitVerdict(
  leaderBlockTime: number | undefined,
  createdAtMs: number,
  nowMs: number,
  maxAgeSeconds: number,
): "wait" | "price_unavailable" {
  const since = leaderBlockTime !== undefined ? leaderBlockTime * 1000 : createdAtMs;
  return nowMs - since > maxAgeSeconds * 1000 ? "price_unavailable" : "wait";
}
