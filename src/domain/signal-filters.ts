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
] as const;

export type FilterReason = (typeof FILTER_REASONS)[number];

/** A BUY is stale when more than `maxAgeSeconds` passed between its on-chain time and its reception. */
export function isStale(blockTimeSeconds: number, receivedAtMs: number, maxAgeSeconds: number): boolean {
  return receivedAtMs - blockTimeSeconds * 1000 > maxAgeSeconds * 1000;
}
