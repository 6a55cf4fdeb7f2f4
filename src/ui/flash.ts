/**
 * The dashboard's flash messages (issue 12): a redirect names one of these keys (`?flash=exit_queued`) and
 * the page shows its fixed text. Nothing from the query string is ever displayed, so a crafted link cannot
 * put words in the operator's dashboard.
 */
export const FLASH = {
  exit_queued: { text: "Exit queued; the position updates once it fills.", error: false },
  exit_already_requested: { text: "This form's exit was already requested; nothing more was sold.", error: false },
  sell_all_queued: { text: "Sell-all: an exit of 100 % was queued for every open position.", error: false },
  sell_all_partial: { text: "Sell-all: some exits were refused; see the positions and the audit log.", error: true },
  position_not_open: { text: "That position is not open (closed, or an exit is already in progress).", error: true },
  wallet_added: { text: "Wallet added to the watchlist.", error: false },
  wallet_resumed: { text: "Wallet resumed: its buys are copied again.", error: false },
  wallet_paused: { text: "Wallet paused: its buys are no longer copied.", error: false },
  wallet_not_found: { text: "That wallet does not exist.", error: true },
  wallet_change_refused: { text: "The wallet could not be changed; see the API for the details.", error: true },
  wallet_saved: { text: "Wallet saved.", error: false },
  performance_recomputed: { text: "Performance recomputed for every wallet.", error: false },
  config_saved: { text: "Config saved; the change is in the history below.", error: false },
  config_unchanged: { text: "Nothing changed: every value was already in force.", error: false },
  strategy_created: { text: "Exit strategy added to the catalog.", error: false },
  strategy_saved: { text: "Exit strategy saved.", error: false },
  strategy_deleted: { text: "Exit strategy deleted.", error: false },
  strategy_not_found: { text: "That exit strategy does not exist.", error: true },
  override_saved: { text: "Strategy override saved: the position's exits use the merged rules now.", error: false },
  form_expired: { text: "This form has expired; reload the page and try again.", error: true },
  breaker_tripped: { text: "Circuit breaker tripped: new entries are stopped.", error: false },
  breaker_reset: { text: "Circuit breaker reset: new entries resume.", error: false },
  percent_invalid: { text: "The percent must be a number in (0, 100].", error: true },
  reason_required: { text: "A reason (1 to 500 characters) is required.", error: true },
  reason_too_long: { text: "The reason must be at most 500 characters.", error: true },
  position_not_found: { text: "That position does not exist.", error: true },
  position_closed: { text: "That position is already closed.", error: true },
  breaker_already_open: { text: "The circuit breaker is already open.", error: true },
  breaker_not_open: { text: "The circuit breaker is not open.", error: true },
  portfolio_refreshed: { text: "Wallet refreshed: balance, holdings and funding are fresh.", error: false },
  portfolio_refresh_partial: {
    text: "Wallet refreshed in part: a failed part kept its cached data; its reason is in the row.",
    error: true,
  },
  portfolio_refresh_failed: {
    text: "The refresh failed (Solana unreachable); every part kept its cached data.",
    error: true,
  },
  portfolio_wallet_not_found: { text: "That wallet is not in the portfolio.", error: true },
  portfolio_refresh_all_done: { text: "Refresh all: every part of every wallet refreshed.", error: false },
  portfolio_refresh_all_partial: {
    text: "Refresh all: some parts failed and kept their cached data; see each row.",
    error: true,
  },
  portfolio_refresh_all_running: {
    text: "Refresh all: the first chunk is done; the rest continues in the background (reload to follow).",
    error: false,
  },
  portfolio_refresh_all_failed: {
    text: "Refresh all failed: Solana could not be reached for any wallet.",
    error: true,
  },
  portfolio_refresh_all_busy: { text: "A refresh-all is already in progress; wait for it to finish.", error: true },
  dead_letter_retried: { text: "Dead letter retried: a new exit of the same share was queued.", error: false },
  dead_letter_discarded: { text: "Dead letter discarded (the order stays dead).", error: false },
  dead_letter_not_found: { text: "That dead letter is no longer listed.", error: true },
  dead_letter_not_retried: {
    text: "That dead letter cannot be retried (a dead entry is never bought late, or its position is not open); discard it.",
    error: true,
  },
  inbox_requeued: { text: "Transaction requeued: the wallet's actor processes it again.", error: false },
  inbox_not_found: { text: "That inbox row does not exist.", error: true },
  inbox_not_dead: { text: "That inbox row is no longer dead; nothing to requeue.", error: true },
  alert_acknowledged: { text: "Alert acknowledged.", error: false },
  alert_resolved: { text: "Alert resolved.", error: false },
  alert_not_found: { text: "That alert does not exist.", error: true },
  alert_conflict: { text: "That alert already moved on (acknowledged or resolved).", error: true },
  action_refused: { text: "The action was refused by a rule; see the API for the details.", error: true },
} as const;

export type FlashKey = keyof typeof FLASH;

export const flashFor = (key: string | undefined) =>
  key && Object.hasOwn(FLASH, key) ? { msg: FLASH[key as FlashKey].text, error: FLASH[key as FlashKey].error } : null;
