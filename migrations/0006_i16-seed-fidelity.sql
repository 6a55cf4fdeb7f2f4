-- performance gains a mode (simulation | live) and the seed's fields; profit_ratio changes meaning.
-- Hand-edited after drizzle-kit: the old rows are not copied. They are derived data that mixed live and
-- simulated PnL and hold profit_ratio under its old meaning (now profit_factor); the 00:00 cron or
-- POST /api/v1/performance/recompute rebuilds them from positions. D1 runs a migration in a transaction,
-- where PRAGMA foreign_keys is a no-op: the checks are deferred instead.
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_performance` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`wallet_id` integer NOT NULL,
	`period` text NOT NULL,
	`mode` text DEFAULT 'simulation' NOT NULL,
	`signal_count` integer DEFAULT 0 NOT NULL,
	`filtered_signal_count` integer DEFAULT 0 NOT NULL,
	`position_count` integer DEFAULT 0 NOT NULL,
	`open_position_count` integer DEFAULT 0 NOT NULL,
	`closed_position_count` integer DEFAULT 0 NOT NULL,
	`wins` integer DEFAULT 0 NOT NULL,
	`losses` integer DEFAULT 0 NOT NULL,
	`win_rate_percent` real,
	`total_pnl_usd` real DEFAULT 0 NOT NULL,
	`total_pnl_percent` real,
	`avg_pnl_usd` real,
	`avg_win_usd` real,
	`avg_loss_usd` real,
	`profit_ratio` real,
	`profit_factor` real,
	`best_trade_usd` real,
	`worst_trade_usd` real,
	`best_trade_percent` real,
	`worst_trade_percent` real,
	`avg_hold_minutes` real,
	`longest_win_streak` integer DEFAULT 0 NOT NULL,
	`longest_loss_streak` integer DEFAULT 0 NOT NULL,
	`current_streak` integer DEFAULT 0 NOT NULL,
	`computed_at` text NOT NULL,
	FOREIGN KEY (`wallet_id`) REFERENCES `wallets`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "performance_period" CHECK(period IN ('all', '30d', '7d', '24h')),
	CONSTRAINT "performance_mode" CHECK(mode IN ('simulation', 'live'))
);
--> statement-breakpoint
DROP TABLE `performance`;--> statement-breakpoint
ALTER TABLE `__new_performance` RENAME TO `performance`;--> statement-breakpoint
PRAGMA defer_foreign_keys = off;--> statement-breakpoint
CREATE UNIQUE INDEX `performance_wallet_period_mode_unique` ON `performance` (`wallet_id`,`period`,`mode`);