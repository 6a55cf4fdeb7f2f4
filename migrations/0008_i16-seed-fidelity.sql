ALTER TABLE `tokens` ADD `dex_name` text;--> statement-breakpoint
ALTER TABLE `tokens` ADD `pair_address` text;