CREATE TABLE `funding_transfers` (
	`wallet_address` text NOT NULL,
	`signature` text NOT NULL,
	`sender` text NOT NULL,
	`amount_lamports` text NOT NULL,
	`amount_sol` real NOT NULL,
	`slot` integer,
	`block_time` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`wallet_address`, `signature`, `sender`),
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `funding_transfers_wallet_idx` ON `funding_transfers` (`wallet_address`,`block_time`);--> statement-breakpoint
CREATE TABLE `portfolio_refresh_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`subrequest_budget` integer NOT NULL,
	`wallets_total` integer NOT NULL,
	`wallets_done` integer DEFAULT 0 NOT NULL,
	`ok` integer DEFAULT 0 NOT NULL,
	`partial` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`cursor_created_at` text,
	`cursor_address` text,
	`chunks` integer DEFAULT 0 NOT NULL,
	`subrequests_total` integer DEFAULT 0 NOT NULL,
	`max_chunk_subrequests` integer DEFAULT 0 NOT NULL,
	`chunk_log` text DEFAULT '[]' NOT NULL,
	`started_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`finished_at` text,
	CONSTRAINT "portfolio_refresh_runs_status" CHECK(status IN ('running', 'done'))
);
--> statement-breakpoint
CREATE INDEX `portfolio_refresh_runs_status_idx` ON `portfolio_refresh_runs` (`status`,`started_at`);--> statement-breakpoint
-- D1 runs a migration inside a transaction, where PRAGMA foreign_keys is a no-op: defer the checks instead.
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_scheduled_funding` (
	`id` text PRIMARY KEY NOT NULL,
	`wallet_address` text NOT NULL,
	`amount_sol` real NOT NULL,
	`scheduled_for` text NOT NULL,
	`source_wallet` text,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`notes` text,
	`tx_signature` text,
	`amount_lamports` text,
	`signed_transaction` text,
	`last_valid_block_height` integer,
	`submitted_at` text,
	`last_checked_at` text,
	`failure_reason` text,
	`executed_at` text,
	`cancelled_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "scheduled_funding_status" CHECK(status IN ('scheduled', 'submitted', 'executed', 'cancelled', 'failed')),
	CONSTRAINT "scheduled_funding_amount" CHECK(amount_sol > 0)
);
--> statement-breakpoint
INSERT INTO `__new_scheduled_funding`("id", "wallet_address", "amount_sol", "scheduled_for", "source_wallet", "status", "notes", "tx_signature", "executed_at", "cancelled_at", "created_at", "updated_at") SELECT "id", "wallet_address", "amount_sol", "scheduled_for", "source_wallet", "status", "notes", "tx_signature", "executed_at", "cancelled_at", "created_at", "updated_at" FROM `scheduled_funding`;--> statement-breakpoint
DROP TABLE `scheduled_funding`;--> statement-breakpoint
ALTER TABLE `__new_scheduled_funding` RENAME TO `scheduled_funding`;--> statement-breakpoint
PRAGMA defer_foreign_keys = off;--> statement-breakpoint
CREATE INDEX `scheduled_funding_due_idx` ON `scheduled_funding` (`status`,`scheduled_for`);--> statement-breakpoint
ALTER TABLE `config` ADD `max_subrequests_per_invocation` integer DEFAULT 45 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `funding_execution_enabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `max_funding_transfer_sol` real DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `funding_transactions` ADD `transfers_parsed` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `launches` ADD `confirmation_status` text;--> statement-breakpoint
ALTER TABLE `launches` ADD `chain_error` text;--> statement-breakpoint
ALTER TABLE `launches` ADD `chain_checked_at` text;