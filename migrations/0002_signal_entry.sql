ALTER TABLE `signals` ADD `entry_usd` real;--> statement-breakpoint
ALTER TABLE `signals` ADD `order_id` text;