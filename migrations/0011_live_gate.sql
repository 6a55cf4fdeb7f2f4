CREATE TABLE `live_gate_overrides` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`wallet_id` integer,
	`wallet_address` text NOT NULL,
	`evaluation_trades` integer,
	`evaluation_win_rate_percent` real,
	`simulation_trades` integer NOT NULL,
	`simulation_win_rate_percent` real,
	`required_trades` integer NOT NULL,
	`required_win_rate_percent` real NOT NULL,
	`detail` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `live_gate_overrides_wallet_idx` ON `live_gate_overrides` (`wallet_address`,`created_at`);--> statement-breakpoint
ALTER TABLE `config` ADD `live_min_trades` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `live_min_win_rate_percent` real DEFAULT 50 NOT NULL;--> statement-breakpoint
ALTER TABLE `wallets` ADD `evaluated_at` text;--> statement-breakpoint
ALTER TABLE `wallets` ADD `evaluation_strategy_id` integer REFERENCES exit_strategies(id);--> statement-breakpoint
ALTER TABLE `wallets` ADD `evaluation_source` text;--> statement-breakpoint
ALTER TABLE `wallets` ADD `evaluation_trades` integer;--> statement-breakpoint
ALTER TABLE `wallets` ADD `evaluation_win_rate_percent` real;