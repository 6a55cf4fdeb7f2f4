ALTER TABLE `config` ADD `simulation_quotes_enabled` integer DEFAULT true NOT NULL;
--> statement-breakpoint
-- The config hot-state trigger (0025) recreated with the new column: the SwapQueue caches it.
DROP TRIGGER IF EXISTS `hot_state_config_update`;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_config_update` AFTER UPDATE OF
  `capital_usd`, `position_sizing_mode`, `fixed_position_usd`, `fixed_position_sol`,
  `risk_per_trade_percent`, `capital_allocation_percent`, `leader_ratio`, `min_position_usd`,
  `max_position_usd`, `min_leader_trade_sol`, `max_leader_trade_sol`, `allow_rebuys`, `rebuy_size_percent`,
  `mint_cooldown_seconds`, `max_open_positions`, `max_total_exposure_usd`, `safety_check_enabled`,
  `safety_threshold`, `min_liquidity_usd`, `max_top10_holder_percent`, `min_token_age_hours`,
  `max_transfer_fee_bps`, `token_cache_ttl_seconds`, `max_signal_age_seconds`, `slippage_bps`,
  `simulated_slippage_bps`, `swap_min_spacing_ms`, `jupiter_swaps_per_second`, `jupiter_swap_burst`,
  `max_swap_retries`, `max_slippage_bps`, `priority_fee_mode`, `priority_fee_lamports`,
  `priority_fee_max_lamports`, `skip_preflight`, `sol_fee_reserve`, `live_trading_enabled`,
  `max_drawdown_percent`, `min_win_rate_percent`, `win_rate_window`, `consecutive_loss_limit`,
  `poll_urgent_seconds`, `poll_active_seconds`, `poll_stable_seconds`, `near_trigger_percent`,
  `price_max_age_seconds`, `funded_threshold_sol`, `portfolio_stale_seconds`, `live_min_trades`,
  `live_min_win_rate_percent`, `webhook_silence_alert_minutes`, `retention_days`,
  `reconciliation_tolerance_percent`, `max_subrequests_per_invocation`, `funding_execution_enabled`,
  `max_funding_transfer_sol`, `notify_min_severity`, `notify_trade_events`, `notify_daily_summary`,
  `telegram_chat_id`, `notify_webhook_url`, `helius_events_per_day_limit`, `helius_credits_per_month_limit`,
  `jupiter_price_requests_per_minute_limit`, `jupiter_swap_requests_per_minute_limit`,
  `rugcheck_requests_per_minute_limit`, `dexscreener_requests_per_minute_limit`,
  `upstream_429_per_minute_limit`, `helius_transaction_types`, `simulation_quotes_enabled`
  ON `config`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
