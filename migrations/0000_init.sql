CREATE TABLE `circuit_breaker_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_type` text NOT NULL,
	`trigger` text NOT NULL,
	`reason` text,
	`metrics_snapshot` text DEFAULT '{}' NOT NULL,
	`thresholds_snapshot` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "circuit_breaker_event_type" CHECK(event_type IN ('trip', 'reset')),
	CONSTRAINT "circuit_breaker_trigger" CHECK(trigger IN ('manual', 'max_drawdown', 'win_rate', 'consecutive_losses'))
);
--> statement-breakpoint
CREATE INDEX `circuit_breaker_events_recent_idx` ON `circuit_breaker_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `config` (
	`id` integer PRIMARY KEY DEFAULT 1 NOT NULL,
	`capital_usd` real DEFAULT 1000 NOT NULL,
	`position_sizing_mode` text DEFAULT 'fixed_usd' NOT NULL,
	`fixed_position_usd` real DEFAULT 50 NOT NULL,
	`fixed_position_sol` real DEFAULT 0.25 NOT NULL,
	`risk_per_trade_percent` real DEFAULT 2 NOT NULL,
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
	CONSTRAINT "config_sizing_mode" CHECK(position_sizing_mode IN ('fixed_usd', 'fixed_sol', 'percent_capital', 'leader_ratio'))
);
--> statement-breakpoint
CREATE TABLE `config_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`changed_fields` text NOT NULL,
	`previous_values` text NOT NULL,
	`new_values` text NOT NULL,
	`changed_by` text DEFAULT 'api' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `exit_strategies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`is_default` integer DEFAULT false NOT NULL,
	`stop_loss_percent` real,
	`trailing_stop_percent` real,
	`trailing_activation_percent` real,
	`scaling_levels` text DEFAULT '[]' NOT NULL,
	`mirror_exit_enabled` integer DEFAULT true NOT NULL,
	`max_hold_minutes` integer,
	`take_profit_table` text DEFAULT '[]' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exit_strategies_name_unique` ON `exit_strategies` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `exit_strategies_one_default` ON `exit_strategies` (`is_default`) WHERE is_default = 1;--> statement-breakpoint
CREATE TABLE `funding_transactions` (
	`signature` text PRIMARY KEY NOT NULL,
	`wallet_address` text NOT NULL,
	`slot` integer NOT NULL,
	`block_time` text,
	`succeeded` integer NOT NULL,
	`memo` text,
	`confirmation_status` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `funding_transactions_wallet_idx` ON `funding_transactions` (`wallet_address`,`slot`);--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job` text NOT NULL,
	`cron` text,
	`status` text DEFAULT 'running' NOT NULL,
	`detail` text,
	`started_at` text NOT NULL,
	`finished_at` text,
	CONSTRAINT "job_runs_status" CHECK(status IN ('running', 'ok', 'error', 'skipped'))
);
--> statement-breakpoint
CREATE INDEX `job_runs_recent_idx` ON `job_runs` (`job`,`started_at`);--> statement-breakpoint
CREATE TABLE `launches` (
	`id` text PRIMARY KEY NOT NULL,
	`wallet_address` text NOT NULL,
	`mint_address` text NOT NULL,
	`name` text,
	`ticker` text,
	`platform` text,
	`tx_signature` text,
	`initial_buy_sol` real,
	`notes` text,
	`launched_at` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `launches_mint_unique` ON `launches` (`mint_address`);--> statement-breakpoint
CREATE INDEX `launches_wallet_idx` ON `launches` (`wallet_address`,`launched_at`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`position_id` text,
	`signal_id` integer,
	`wallet_id` integer,
	`token_mint` text NOT NULL,
	`side` text NOT NULL,
	`priority` text NOT NULL,
	`mode` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`reason` text NOT NULL,
	`requested_amount` text,
	`requested_usd` real,
	`sell_fraction` real,
	`expected_price_usd` real,
	`expected_out_amount` text,
	`executed_price_usd` real,
	`executed_in_amount` text,
	`executed_out_amount` text,
	`executed_usd` real,
	`slippage_bps` real,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`cancel_reason` text,
	`tx_signature` text,
	`last_valid_block_height` integer,
	`requested_at` text NOT NULL,
	`executed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`signal_id`) REFERENCES `signals`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`wallet_id`) REFERENCES `wallets`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_side" CHECK(side IN ('buy', 'sell')),
	CONSTRAINT "orders_priority" CHECK(priority IN ('critical', 'urgent', 'normal', 'low')),
	CONSTRAINT "orders_mode" CHECK(mode IN ('simulation', 'live')),
	CONSTRAINT "orders_status" CHECK(status IN ('pending', 'executing', 'submitted', 'filled', 'failed', 'cancelled', 'dead'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_idempotency_unique` ON `orders` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `orders_pending_idx` ON `orders` (`status`,`priority`,`requested_at`);--> statement-breakpoint
CREATE INDEX `orders_position_idx` ON `orders` (`position_id`);--> statement-breakpoint
CREATE TABLE `performance` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`wallet_id` integer NOT NULL,
	`period` text NOT NULL,
	`signal_count` integer DEFAULT 0 NOT NULL,
	`filtered_signal_count` integer DEFAULT 0 NOT NULL,
	`position_count` integer DEFAULT 0 NOT NULL,
	`open_position_count` integer DEFAULT 0 NOT NULL,
	`closed_position_count` integer DEFAULT 0 NOT NULL,
	`wins` integer DEFAULT 0 NOT NULL,
	`losses` integer DEFAULT 0 NOT NULL,
	`win_rate_percent` real,
	`total_pnl_usd` real DEFAULT 0 NOT NULL,
	`avg_pnl_usd` real,
	`avg_win_usd` real,
	`avg_loss_usd` real,
	`profit_ratio` real,
	`best_trade_usd` real,
	`worst_trade_usd` real,
	`longest_win_streak` integer DEFAULT 0 NOT NULL,
	`longest_loss_streak` integer DEFAULT 0 NOT NULL,
	`current_streak` integer DEFAULT 0 NOT NULL,
	`computed_at` text NOT NULL,
	FOREIGN KEY (`wallet_id`) REFERENCES `wallets`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "performance_period" CHECK(period IN ('all', '30d', '7d', '24h'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `performance_wallet_period_unique` ON `performance` (`wallet_id`,`period`);--> statement-breakpoint
CREATE TABLE `positions` (
	`id` text PRIMARY KEY NOT NULL,
	`wallet_id` integer,
	`source_wallet_address` text NOT NULL,
	`signal_id` integer,
	`entry_order_id` text,
	`token_mint` text NOT NULL,
	`token_decimals` integer NOT NULL,
	`mode` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`exit_strategy_id` integer,
	`strategy_override` text,
	`entry_price_usd` real NOT NULL,
	`entry_price_sol` real,
	`entry_amount` text NOT NULL,
	`entry_cost_usd` real NOT NULL,
	`entry_cost_sol` real,
	`current_amount` text NOT NULL,
	`current_price_usd` real,
	`peak_price_usd` real,
	`trailing_active` integer DEFAULT false NOT NULL,
	`scaling_levels_hit` text DEFAULT '[]' NOT NULL,
	`unrealized_pnl_usd` real DEFAULT 0 NOT NULL,
	`realized_pnl_usd` real DEFAULT 0 NOT NULL,
	`total_pnl_usd` real DEFAULT 0 NOT NULL,
	`pnl_percent` real DEFAULT 0 NOT NULL,
	`sold_amount` text DEFAULT '0' NOT NULL,
	`exit_proceeds_usd` real DEFAULT 0 NOT NULL,
	`avg_exit_price_usd` real,
	`exit_reason` text,
	`price_source` text,
	`last_price_at` text,
	`next_poll_at` text,
	`poll_interval_seconds` integer,
	`opened_at` text NOT NULL,
	`closed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_id`) REFERENCES `wallets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`signal_id`) REFERENCES `signals`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`exit_strategy_id`) REFERENCES `exit_strategies`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "positions_mode" CHECK(mode IN ('simulation', 'live')),
	CONSTRAINT "positions_status" CHECK(status IN ('open', 'closing', 'closed')),
	CONSTRAINT "positions_exit_reason" CHECK(exit_reason IS NULL OR exit_reason IN ('stop_loss', 'trailing_stop', 'take_profit', 'scaling_out', 'mirror_exit', 'time_exit', 'manual'))
);
--> statement-breakpoint
CREATE INDEX `positions_status_idx` ON `positions` (`status`,`opened_at`);--> statement-breakpoint
CREATE INDEX `positions_wallet_mint_idx` ON `positions` (`source_wallet_address`,`token_mint`,`status`);--> statement-breakpoint
CREATE INDEX `positions_mint_idx` ON `positions` (`token_mint`,`closed_at`);--> statement-breakpoint
CREATE TABLE `scheduled_funding` (
	`id` text PRIMARY KEY NOT NULL,
	`wallet_address` text NOT NULL,
	`amount_sol` real NOT NULL,
	`scheduled_for` text NOT NULL,
	`source_wallet` text,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`notes` text,
	`tx_signature` text,
	`executed_at` text,
	`cancelled_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "scheduled_funding_status" CHECK(status IN ('scheduled', 'executed', 'cancelled', 'failed')),
	CONSTRAINT "scheduled_funding_amount" CHECK(amount_sol > 0)
);
--> statement-breakpoint
CREATE INDEX `scheduled_funding_due_idx` ON `scheduled_funding` (`status`,`scheduled_for`);--> statement-breakpoint
CREATE TABLE `signals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`transaction_signature` text NOT NULL,
	`wallet_id` integer,
	`wallet_address` text NOT NULL,
	`signal_type` text NOT NULL,
	`token_mint` text,
	`quote_mint` text,
	`token_amount` text,
	`token_decimals` integer,
	`quote_amount` text,
	`sol_amount` real,
	`usd_amount` real,
	`price_sol` real,
	`price_usd` real,
	`leader_balance_before` text,
	`helius_type` text,
	`helius_source` text,
	`slot` integer,
	`block_time` text,
	`filtered` integer DEFAULT false NOT NULL,
	`filter_reason` text,
	`safety_score` real,
	`webhook_received_at` text NOT NULL,
	`processed_at` text,
	`processing_duration_ms` real,
	`raw_payload` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_id`) REFERENCES `wallets`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "signals_type" CHECK(signal_type IN ('buy', 'sell', 'other'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `signals_signature_unique` ON `signals` (`transaction_signature`);--> statement-breakpoint
CREATE INDEX `signals_recent_idx` ON `signals` (`created_at`);--> statement-breakpoint
CREATE INDEX `signals_wallet_idx` ON `signals` (`wallet_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `signals_mint_idx` ON `signals` (`token_mint`);--> statement-breakpoint
CREATE TABLE `token_holdings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`wallet_address` text NOT NULL,
	`mint_address` text NOT NULL,
	`token_program` text NOT NULL,
	`balance` text NOT NULL,
	`decimals` integer NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `token_holdings_wallet_mint_unique` ON `token_holdings` (`wallet_address`,`mint_address`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`mint_address` text PRIMARY KEY NOT NULL,
	`name` text,
	`symbol` text,
	`decimals` integer,
	`token_program` text,
	`safety_score` real,
	`liquidity_usd` real,
	`top10_holder_percent` real,
	`token_age_hours` real,
	`pair_created_at` text,
	`mint_authority` text,
	`freeze_authority` text,
	`rugcheck_score` real,
	`rugcheck_risk_level` text,
	`is_rugged` integer,
	`transfer_fee_bps` integer,
	`contract_flags` text,
	`check_liquidity_passed` integer,
	`check_holders_passed` integer,
	`check_contract_passed` integer,
	`check_age_passed` integer,
	`safety_source` text,
	`safety_checked_at` text,
	`price_usd` real,
	`metadata_updated_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `wallet_info` (
	`address` text PRIMARY KEY NOT NULL,
	`label` text,
	`wallet_type` text DEFAULT 'launch' NOT NULL,
	`status` text DEFAULT 'UNFUNDED' NOT NULL,
	`notes` text,
	`first_funded_at` text,
	`last_balance_sol` real,
	`last_balance_lamports` text,
	`launch_count` integer DEFAULT 0 NOT NULL,
	`balance_refreshed_at` text,
	`holdings_refreshed_at` text,
	`funding_refreshed_at` text,
	`last_refresh_at` text,
	`last_refresh_errors` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "wallet_info_status" CHECK(status IN ('UNFUNDED', 'FUNDED', 'LAUNCHED', 'ARCHIVED'))
);
--> statement-breakpoint
CREATE TABLE `wallets` (
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
	CONSTRAINT "wallets_sizing_mode" CHECK(position_sizing_mode IS NULL OR position_sizing_mode IN ('fixed_usd', 'fixed_sol', 'percent_capital', 'leader_ratio'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `wallets_address_unique` ON `wallets` (`address`);--> statement-breakpoint
CREATE INDEX `wallets_active_idx` ON `wallets` (`is_active`);