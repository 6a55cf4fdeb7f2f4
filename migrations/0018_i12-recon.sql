CREATE TABLE `reconciliation_findings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`position_id` text,
	`token_mint` text,
	`mode` text,
	`expected` text,
	`actual` text,
	`observations` integer,
	`action` text,
	`message` text NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `reconciliation_runs`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "reconciliation_findings_kind" CHECK(kind IN ('holding_without_position', 'position_without_holding', 'amount_mismatch', 'pnl_mismatch'))
);
--> statement-breakpoint
CREATE INDEX `reconciliation_findings_run_idx` ON `reconciliation_findings` (`run_id`);--> statement-breakpoint
CREATE INDEX `reconciliation_findings_subject_idx` ON `reconciliation_findings` (`kind`,`subject`);--> statement-breakpoint
CREATE TABLE `reconciliation_missing` (
	`position_id` text PRIMARY KEY NOT NULL,
	`token_mint` text NOT NULL,
	`observations` integer DEFAULT 1 NOT NULL,
	`first_seen_at` text NOT NULL,
	`last_snapshot_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reconciliation_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trigger` text NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`wallet_address` text,
	`holdings_checked` integer DEFAULT false NOT NULL,
	`holdings_skip_reason` text,
	`holdings_snapshot_at` text,
	`positions_checked` integer DEFAULT 0 NOT NULL,
	`findings` integer DEFAULT 0 NOT NULL,
	`positions_closed` integer DEFAULT 0 NOT NULL,
	`alerts_resolved` integer DEFAULT 0 NOT NULL,
	`error` text,
	`started_at` text NOT NULL,
	`finished_at` text,
	CONSTRAINT "reconciliation_runs_status" CHECK(status IN ('running', 'ok', 'error'))
);
--> statement-breakpoint
CREATE INDEX `reconciliation_runs_recent_idx` ON `reconciliation_runs` (`started_at`);--> statement-breakpoint
-- D1 runs a migration inside a transaction, where PRAGMA foreign_keys is a no-op: defer the checks instead.
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_positions` (
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
	CONSTRAINT "positions_exit_reason" CHECK(exit_reason IS NULL OR exit_reason IN ('stop_loss', 'trailing_stop', 'take_profit', 'scaling_out', 'mirror_exit', 'time_exit', 'manual', 'sold_externally'))
);
--> statement-breakpoint
INSERT INTO `__new_positions`("id", "wallet_id", "source_wallet_address", "signal_id", "entry_order_id", "token_mint", "token_decimals", "mode", "status", "exit_strategy_id", "strategy_override", "entry_price_usd", "entry_price_sol", "entry_amount", "entry_cost_usd", "entry_cost_sol", "current_amount", "current_price_usd", "peak_price_usd", "trailing_active", "scaling_levels_hit", "unrealized_pnl_usd", "realized_pnl_usd", "total_pnl_usd", "pnl_percent", "sold_amount", "exit_proceeds_usd", "avg_exit_price_usd", "exit_reason", "price_source", "last_price_at", "next_poll_at", "poll_interval_seconds", "opened_at", "closed_at", "created_at", "updated_at") SELECT "id", "wallet_id", "source_wallet_address", "signal_id", "entry_order_id", "token_mint", "token_decimals", "mode", "status", "exit_strategy_id", "strategy_override", "entry_price_usd", "entry_price_sol", "entry_amount", "entry_cost_usd", "entry_cost_sol", "current_amount", "current_price_usd", "peak_price_usd", "trailing_active", "scaling_levels_hit", "unrealized_pnl_usd", "realized_pnl_usd", "total_pnl_usd", "pnl_percent", "sold_amount", "exit_proceeds_usd", "avg_exit_price_usd", "exit_reason", "price_source", "last_price_at", "next_poll_at", "poll_interval_seconds", "opened_at", "closed_at", "created_at", "updated_at" FROM `positions`;--> statement-breakpoint
DROP TABLE `positions`;--> statement-breakpoint
ALTER TABLE `__new_positions` RENAME TO `positions`;--> statement-breakpoint
PRAGMA defer_foreign_keys = off;--> statement-breakpoint
CREATE INDEX `positions_status_idx` ON `positions` (`status`,`opened_at`);--> statement-breakpoint
CREATE INDEX `positions_wallet_mint_idx` ON `positions` (`source_wallet_address`,`token_mint`,`status`);--> statement-breakpoint
CREATE INDEX `positions_mint_idx` ON `positions` (`token_mint`,`closed_at`);--> statement-breakpoint
ALTER TABLE `config` ADD `reconciliation_tolerance_percent` real DEFAULT 1 NOT NULL;