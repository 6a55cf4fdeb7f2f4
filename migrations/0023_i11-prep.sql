ALTER TABLE `config` ADD `max_slippage_bps` integer DEFAULT 1000 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `priority_fee_mode` text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `priority_fee_lamports` integer DEFAULT 100000 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `priority_fee_max_lamports` integer DEFAULT 1000000 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `skip_preflight` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `sol_fee_reserve` real DEFAULT 0.05 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `live_trading_enabled` integer DEFAULT false NOT NULL;