CREATE TABLE `notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel` text NOT NULL,
	`event_key` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_attempt_at` text,
	`next_attempt_at` text NOT NULL,
	`lease_until` text,
	`delivered_at` text,
	`created_at` text NOT NULL,
	CONSTRAINT "notifications_channel" CHECK(channel IN ('telegram', 'webhook')),
	CONSTRAINT "notifications_kind" CHECK(kind IN ('alert', 'trade_entry', 'trade_exit', 'daily_summary', 'test')),
	CONSTRAINT "notifications_status" CHECK(status IN ('pending', 'delivered'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_event_unique` ON `notifications` (`channel`,`event_key`);--> statement-breakpoint
CREATE INDEX `notifications_due_idx` ON `notifications` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `rate_usage` (
	`metric` text NOT NULL,
	`window` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`metric`, `window`)
);
--> statement-breakpoint
ALTER TABLE `config` ADD `notify_min_severity` text DEFAULT 'warning' NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `notify_trade_events` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `notify_daily_summary` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `telegram_chat_id` text;--> statement-breakpoint
ALTER TABLE `config` ADD `notify_webhook_url` text;--> statement-breakpoint
ALTER TABLE `config` ADD `helius_events_per_day_limit` integer DEFAULT 100000 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `helius_credits_per_month_limit` integer DEFAULT 1000000 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `jupiter_price_requests_per_minute_limit` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `jupiter_swap_requests_per_minute_limit` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `rugcheck_requests_per_minute_limit` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `dexscreener_requests_per_minute_limit` integer DEFAULT 300 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `upstream_429_per_minute_limit` integer DEFAULT 10 NOT NULL;