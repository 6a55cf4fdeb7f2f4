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
  action_refused: { text: "The action was refused by a rule; see the API for the details.", error: true },
} as const;

export type FlashKey = keyof typeof FLASH;

export const flashFor = (key: string | undefined) =>
  key && Object.hasOwn(FLASH, key) ? { msg: FLASH[key as FlashKey].text, error: FLASH[key as FlashKey].error } : null;
