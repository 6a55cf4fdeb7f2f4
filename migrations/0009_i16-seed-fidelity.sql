ALTER TABLE `orders` ADD `quote_context_slot` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `landed_slot` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `priority_fee_lamports` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `execution_duration_ms` real;--> statement-breakpoint
ALTER TABLE `orders` ADD `scaling_level` real;