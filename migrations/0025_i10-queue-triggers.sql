-- Issue 10: the config hot-state trigger fires only on the columns the actors cache. The Helius sync's
-- bookkeeping (helius_webhook_id, helius_last_sync_*) and updated_at no longer bump hot_state.version, so a
-- sync run does not make every actor re-read and re-push. A new config column must be added to this list
-- (test/hot-state.test.ts checks every column of config against it).
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
  `upstream_429_per_minute_limit`, `helius_transaction_types`
  ON `config`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
-- Issue 10: an entry may be queued (and its order and position written behind) before its signal row reaches
-- D1. Those rows carry the signal's transaction signature; when the signal row lands, this links them.
-- Either order converges: a row written after its signal resolves signal_id at its own write.
CREATE TRIGGER IF NOT EXISTS `signals_link_orders_positions` AFTER INSERT ON `signals`
BEGIN
  UPDATE `orders` SET `signal_id` = NEW.`id`
    WHERE `signal_signature` = NEW.`transaction_signature` AND `signal_id` IS NULL;
  UPDATE `positions` SET `signal_id` = NEW.`id`
    WHERE `signal_signature` = NEW.`transaction_signature` AND `signal_id` IS NULL;
END;
