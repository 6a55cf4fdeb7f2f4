-- funding_transactions keyed by (wallet_address, signature): one transaction can touch two portfolio wallets.
-- D1 runs a migration inside a transaction, where PRAGMA foreign_keys is a no-op: defer the checks instead.
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_funding_transactions` (
	`signature` text NOT NULL,
	`wallet_address` text NOT NULL,
	`slot` integer NOT NULL,
	`block_time` text,
	`succeeded` integer NOT NULL,
	`memo` text,
	`confirmation_status` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`wallet_address`, `signature`),
	FOREIGN KEY (`wallet_address`) REFERENCES `wallet_info`(`address`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_funding_transactions`("signature", "wallet_address", "slot", "block_time", "succeeded", "memo", "confirmation_status", "created_at") SELECT "signature", "wallet_address", "slot", "block_time", "succeeded", "memo", "confirmation_status", "created_at" FROM `funding_transactions`;--> statement-breakpoint
DROP TABLE `funding_transactions`;--> statement-breakpoint
ALTER TABLE `__new_funding_transactions` RENAME TO `funding_transactions`;--> statement-breakpoint
PRAGMA defer_foreign_keys = off;--> statement-breakpoint
CREATE INDEX `funding_transactions_wallet_idx` ON `funding_transactions` (`wallet_address`,`slot`);