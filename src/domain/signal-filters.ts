/**
 * The one closed list of reasons a signal is not copied (DESIGN §4: every signal is kept, with `filtered`
 * and `filter_reason`). The API and tests rely on these exact strings.
 */
export const FILTER_REASONS = [
  // classification
  "not_a_trade", // a transfer, airdrop, mint… nothing was paid or received for the token
  "unsupported_pair", // token-to-token or quote-to-quote swap
  "failed_transaction",
  "invalid_transaction", // acked, but its processing kept failing: parked after a bounded number of attempts
  // signal
  "stale_signal", // a BUY older than max_signal_age_seconds (on-chain timestamp → reception)
  "inactive_wallet", // the watched wallet is deactivated (its BUYs; its SELLs still mirror open positions)
  "duplicate", // the transaction was already recorded (by another watched wallet's actor)
  // entry gates, in the order they run
  "circuit_breaker",
  "leader_trade_too_small",
  "leader_trade_too_large",
  "already_bought",
  "mint_cooldown",
  "max_open_positions",
  "safety_check_failed",
  "safety_unavailable",
  "price_unavailable", // the SOL price needed to size or to compare the trade is unknown
  "max_exposure",
  "position_size_zero", // sizing gave nothing to buy (e.g. a 0 % capital allocation with a 0 USD minimum)
  "token_decimals_unknown", // neither the payload nor the token cache knows the mint's decimals
  "enqueue_failed", // the SwapQueue kept failing until the trade was too old to copy
  "entry_failed", // the entry order was dead-lettered: its swap kept failing, nothing was bought
  // exits
  "no_open_position", // a SELL with no open position copied from this leader for the mint
  // the leader's own timeline (issue 9)
  "invalid_timestamp", // a block time in the future (e.g. milliseconds sent where seconds belong): never "fresh"
  "leader_exited", // the leader sold the mint while our copy of its earlier BUY was not executed yet
  "leader_already_sold", // a BUY delivered after a SELL of the same leader and mint made later on chain
] as const;

export type FilterReason = (typeof FILTER_REASONS)[number];

/** A BUY is stale when more than `maxAgeSeconds` passed between its on-chain time and its reception. */
export function isStale(blockTimeSeconds: number, receivedAtMs: number, maxAgeSeconds: number): boolean {
  return receivedAtMs - blockTimeSeconds * 1000 > maxAgeSeconds * 1000;
}

/**
 * How far a block time may run ahead of our clock and still be taken as now: Solana block times are the
 * validators' stake-weighted estimate and drift a few seconds. Beyond it the timestamp is invalid.
 */
export const MAX_CLOCK_SKEW_SECONDS = 30;

/**
 * The age check of an entry from the leader's block time (DESIGN §4), at reception, at decision and again at
 * execution: `stale_signal` when older than `maxAgeSeconds`, `invalid_timestamp` when it is not a plausible
 * unix time in seconds (future beyond the clock skew, e.g. milliseconds; not a positive safe integer).
 */
export function entryTimeVerdict(
  blockTimeSeconds: number,
  nowMs: number,
  maxAgeSeconds: number,
): "ok" | "stale_signal" | "invalid_timestamp" {
  if (!Number.isSafeInteger(blockTimeSeconds) || blockTimeSeconds <= 0) return "invalid_timestamp";
  if (blockTimeSeconds * 1000 > nowMs + MAX_CLOCK_SKEW_SECONDS * 1000) return "invalid_timestamp";
  return isStale(blockTimeSeconds, nowMs, maxAgeSeconds) ? "stale_signal" : "ok";
}
