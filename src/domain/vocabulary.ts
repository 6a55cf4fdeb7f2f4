/**
 * The domain's closed vocabularies: the words trading decisions are made in. They live here, in the domain,
 * and the relational model (src/db/schema.ts) builds its CHECK constraints from them — never the reverse:
 * nothing in src/domain/ imports src/db/ (test/domain-boundary.test.ts fails if something does).
 */

/** How a wallet (and everything it opens) trades: paper fills or real swaps. */
export const WALLET_MODES = ["simulation", "live"] as const;
export type WalletMode = (typeof WALLET_MODES)[number];
/** How the live executor asks Jupiter for a priority fee (issue 11). */
export const PRIORITY_FEE_MODES = ["fixed", "auto"] as const;

/** Entry sizing modes (DESIGN §4). */
export const SIZING_MODES = ["fixed_usd", "fixed_sol", "percent_capital", "risk_percent", "leader_ratio"] as const;
export type SizingMode = (typeof SIZING_MODES)[number];

/** Where a wallet's address stands with the Helius webhook. */
export const SYNC_STATUSES = ["pending", "synced", "error"] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** What a leader's transaction was classified as. */
export const SIGNAL_TYPES = ["buy", "sell", "other"] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

export const ORDER_SIDES = ["buy", "sell"] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

/** SwapQueue priorities, most urgent first: exits overtake entries. */
export const ORDER_PRIORITIES = ["critical", "urgent", "normal", "low"] as const;
export type OrderPriority = (typeof ORDER_PRIORITIES)[number];

export const ORDER_STATUSES = ["pending", "executing", "submitted", "filled", "failed", "cancelled", "dead"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const POSITION_STATUSES = ["open", "closing", "closed"] as const;
export type PositionStatus = (typeof POSITION_STATUSES)[number];

/** The one closed list of exit reasons (DESIGN §4), used by orders, positions and the API. */
export const EXIT_REASONS = [
  "stop_loss",
  "trailing_stop",
  "take_profit",
  "scaling_out",
  "mirror_exit",
  "time_exit",
  "manual",
  // Closed by reconciliation: the trading wallet no longer held the tokens (sold outside WallTrack).
  "sold_externally",
] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

/** Windows performance is aggregated over. */
export const PERFORMANCE_PERIODS = ["all", "30d", "7d", "24h"] as const;
export type PerformancePeriod = (typeof PERFORMANCE_PERIODS)[number];

export const BREAKER_EVENT_TYPES = ["trip", "reset"] as const;
export type BreakerEventType = (typeof BREAKER_EVENT_TYPES)[number];
/** What tripped the circuit breaker (DESIGN §4). */
export const BREAKER_TRIGGERS = ["manual", "max_drawdown", "win_rate", "consecutive_losses"] as const;
export type BreakerTrigger = (typeof BREAKER_TRIGGERS)[number];

/** The portfolio lifecycle (DESIGN §5). */
export const PORTFOLIO_STATUSES = ["UNFUNDED", "FUNDED", "LAUNCHED", "ARCHIVED"] as const;
export type PortfolioStatus = (typeof PORTFOLIO_STATUSES)[number];
/** `submitted`: signed, signature stored, sent or about to be; settled by its signature status (never re-signed). */
export const FUNDING_STATUSES = ["scheduled", "submitted", "executed", "cancelled", "failed"] as const;
export type FundingStatus = (typeof FUNDING_STATUSES)[number];
export const REFRESH_RUN_STATUSES = ["running", "done"] as const;
export type RefreshRunStatus = (typeof REFRESH_RUN_STATUSES)[number];

/** Alert severities, and the minimum one notifications push (config `notify_min_severity`). */
export const NOTIFY_SEVERITIES = ["info", "warning", "critical"] as const;
export type NotifySeverity = (typeof NOTIFY_SEVERITIES)[number];
/** Outbound notification channels and what they carry (issue 12). */
export const NOTIFICATION_CHANNELS = ["telegram", "webhook"] as const;
export const NOTIFICATION_KINDS = ["alert", "trade_entry", "trade_exit", "daily_summary", "test"] as const;
export const NOTIFICATION_STATUSES = ["pending", "delivered"] as const;
/** Reconciliation (issue 12): a run's outcome and the kinds of discrepancy it finds. */
export const RECONCILIATION_RUN_STATUSES = ["running", "ok", "error"] as const;
export const RECONCILIATION_FINDING_KINDS = [
  "holding_without_position",
  "position_without_holding",
  "amount_mismatch",
  "pnl_mismatch",
] as const;
export type ReconciliationFindingKind = (typeof RECONCILIATION_FINDING_KINDS)[number];
