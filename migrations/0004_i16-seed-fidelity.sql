-- Adds the risk_percent sizing mode to the CHECKs of config and wallets (SQLite rebuilds the tables) and
-- config.capital_allocation_percent. Hand-edited after drizzle-kit: D1 runs a migration inside a transaction,
-- where PRAGMA foreign_keys is a no-op, so the foreign-key checks are deferred instead (signals, orders and
-- positions reference wallets); and the copy of config must not read the column it adds (default 5).
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_config` (
	`id` integer PRIMARY KEY DEFAULT 1 NOT NULL,
	`capital_usd` real DEFAULT 1000 NOT NULL,
	`position_sizing_mode` text DEFAULT 'fixed_usd' NOT NULL,
	`fixed_position_usd` real DEFAULT 50 NOT NULL,
	`fixed_position_sol` real DEFAULT 0.25 NOT NULL,
	`risk_per_trade_percent` real DEFAULT 2 NOT NULL,
	`capital_allocation_percent` real DEFAULT 5 NOT NULL,
	`leader_ratio` real DEFAULT 0.1 NOT NULL,
	`min_position_usd` real DEFAULT 5 NOT NULL,
	`max_position_usd` real DEFAULT 200 NOT NULL,
	`min_leader_trade_sol` real DEFAULT 0.1 NOT NULL,
	`max_leader_trade_sol` real DEFAULT 100 NOT NULL,
	`allow_rebuys` integer DEFAULT false NOT NULL,
	`rebuy_size_percent` real DEFAULT 50 NOT NULL,
	`mint_cooldown_seconds` integer DEFAULT 3600 NOT NULL,
	`max_open_positions` integer DEFAULT 10 NOT NULL,
	`max_total_exposure_usd` real DEFAULT 1000 NOT NULL,
	`safety_check_enabled` integer DEFAULT true NOT NULL,
	`safety_threshold` real DEFAULT 0.6 NOT NULL,
	`min_liquidity_usd` real DEFAULT 50000 NOT NULL,
	`max_top10_holder_percent` real DEFAULT 80 NOT NULL,
	`min_token_age_hours` real DEFAULT 24 NOT NULL,
	`max_transfer_fee_bps` integer DEFAULT 100 NOT NULL,
	`token_cache_ttl_seconds` integer DEFAULT 3600 NOT NULL,
	`max_signal_age_seconds` integer DEFAULT 60 NOT NULL,
	`slippage_bps` integer DEFAULT 300 NOT NULL,
	`simulated_slippage_bps` integer DEFAULT 100 NOT NULL,
	`swap_min_spacing_ms` integer DEFAULT 2000 NOT NULL,
	`max_swap_retries` integer DEFAULT 3 NOT NULL,
	`max_drawdown_percent` real DEFAULT 20 NOT NULL,
	`min_win_rate_percent` real DEFAULT 40 NOT NULL,
	`win_rate_window` integer DEFAULT 20 NOT NULL,
	`consecutive_loss_limit` integer DEFAULT 3 NOT NULL,
	`poll_urgent_seconds` integer DEFAULT 20 NOT NULL,
	`poll_active_seconds` integer DEFAULT 30 NOT NULL,
	`poll_stable_seconds` integer DEFAULT 60 NOT NULL,
	`near_trigger_percent` real DEFAULT 5 NOT NULL,
	`price_max_age_seconds` integer DEFAULT 300 NOT NULL,
	`funded_threshold_sol` real DEFAULT 0.25 NOT NULL,
	`portfolio_stale_seconds` integer DEFAULT 300 NOT NULL,
	`helius_transaction_types` text DEFAULT '["ANY"]' NOT NULL,
	`helius_webhook_id` text,
	`helius_last_sync_at` text,
	`helius_last_sync_status` text,
	`helius_last_sync_error` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "config_singleton" CHECK(id = 1),
	CONSTRAINT "config_sizing_mode" CHECK(position_sizing_mode IN ('fixed_usd', 'fixed_sol', 'percent_capital', 'risk_percent', 'leader_ratio'))
);
--> statement-breakpoint
INSERT INTO `__new_config`("id", "capital_usd", "position_sizing_mode", "fixed_position_usd", "fixed_position_sol", "risk_per_trade_percent", "leader_ratio", "min_position_usd", "max_position_usd", "min_leader_trade_sol", "max_leader_trade_sol", "allow_rebuys", "rebuy_size_percent", "mint_cooldown_seconds", "max_open_positions", "max_total_exposure_usd", "safety_check_enabled", "safety_threshold", "min_liquidity_usd", "max_top10_holder_percent", "min_token_age_hours", "max_transfer_fee_bps", "token_cache_ttl_seconds", "max_signal_age_seconds", "slippage_bps", "simulated_slippage_bps", "swap_min_spacing_ms", "max_swap_retries", "max_drawdown_percent", "min_win_rate_percent", "win_rate_window", "consecutive_loss_limit", "poll_urgent_seconds", "poll_active_seconds", "poll_stable_seconds", "near_trigger_percent", "price_max_age_seconds", "funded_threshold_sol", "portfolio_stale_seconds", "helius_transaction_types", "helius_webhook_id", "helius_last_sync_at", "helius_last_sync_status", "helius_last_sync_error", "updated_at") SELECT "id", "capital_usd", "position_sizing_mode", "fixed_position_usd", "fixed_position_sol", "risk_per_trade_percent", "leader_ratio", "min_position_usd", "max_position_usd", "min_leader_trade_sol", "max_leader_trade_sol", "allow_rebuys", "rebuy_size_percent", "mint_cooldown_seconds", "max_open_positions", "max_total_exposure_usd", "safety_check_enabled", "safety_threshold", "min_liquidity_usd", "max_top10_holder_percent", "min_token_age_hours", "max_transfer_fee_bps", "token_cache_ttl_seconds", "max_signal_age_seconds", "slippage_bps", "simulated_slippage_bps", "swap_min_spacing_ms", "max_swap_retries", "max_drawdown_percent", "min_win_rate_percent", "win_rate_window", "consecutive_loss_limit", "poll_urgent_seconds", "poll_active_seconds", "poll_stable_seconds", "near_trigger_percent", "price_max_age_seconds", "funded_threshold_sol", "portfolio_stale_seconds", "helius_transaction_types", "helius_webhook_id", "helius_last_sync_at", "helius_last_sync_status", "helius_last_sync_error", "updated_at" FROM `config`;--> statement-breakpoint
DROP TABLE `config`;--> statement-breakpoint
ALTER TABLE `__new_config` RENAME TO `config`;--> statement-breakpoint
CREATE TABLE `__new_wallets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`address` text NOT NULL,
	`label` text,
	`mode` text DEFAULT 'simulation' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`exit_strategy_id` integer,
	`capital_allocation_percent` real,
	`discovery_source` text,
	`discovery_date` text,
	`discovery_notes` text,
	`initial_win_rate_percent` real,
	`initial_trades_observed` integer,
	`min_leader_trade_sol` real,
	`max_leader_trade_sol` real,
	`allow_rebuys` integer,
	`rebuy_size_percent` real,
	`mint_cooldown_seconds` integer,
	`position_sizing_mode` text,
	`fixed_position_usd` real,
	`leader_ratio` real,
	`helius_sync_status` text DEFAULT 'pending' NOT NULL,
	`helius_synced_at` text,
	`helius_sync_error` text,
	`last_signal_at` text,
	`deactivated_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`exit_strategy_id`) REFERENCES `exit_strategies`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "wallets_mode" CHECK(mode IN ('simulation', 'live')),
	CONSTRAINT "wallets_sync_status" CHECK(helius_sync_status IN ('pending', 'synced', 'error')),
	CONSTRAINT "wallets_sizing_mode" CHECK(position_sizing_mode IS NULL OR position_sizing_mode IN ('fixed_usd', 'fixed_sol', 'percent_capital', 'risk_percent', 'leader_ratio'))
);
--> statement-breakpoint
INSERT INTO `__new_wallets`("id", "address", "label", "mode", "is_active", "exit_strategy_id", "capital_allocation_percent", "discovery_source", "discovery_date", "discovery_notes", "initial_win_rate_percent", "initial_trades_observed", "min_leader_trade_sol", "max_leader_trade_sol", "allow_rebuys", "rebuy_size_percent", "mint_cooldown_seconds", "position_sizing_mode", "fixed_position_usd", "leader_ratio", "helius_sync_status", "helius_synced_at", "helius_sync_error", "last_signal_at", "deactivated_at", "created_at", "updated_at") SELECT "id", "address", "label", "mode", "is_active", "exit_strategy_id", "capital_allocation_percent", "discovery_source", "discovery_date", "discovery_notes", "initial_win_rate_percent", "initial_trades_observed", "min_leader_trade_sol", "max_leader_trade_sol", "allow_rebuys", "rebuy_size_percent", "mint_cooldown_seconds", "position_sizing_mode", "fixed_position_usd", "leader_ratio", "helius_sync_status", "helius_synced_at", "helius_sync_error", "last_signal_at", "deactivated_at", "created_at", "updated_at" FROM `wallets`;--> statement-breakpoint
DROP TABLE `wallets`;--> statement-breakpoint
ALTER TABLE `__new_wallets` RENAME TO `wallets`;--> statement-breakpoint
CREATE UNIQUE INDEX `wallets_address_unique` ON `wallets` (`address`);--> statement-breakpoint
CREATE INDEX `wallets_active_idx` ON `wallets` (`is_active`);--> statement-breakpoint
PRAGMA defer_foreign_keys = off;