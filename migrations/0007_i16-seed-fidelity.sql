ALTER TABLE `circuit_breaker_events` ADD `open_position_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `circuit_breaker_events` ADD `open_positions` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `circuit_breaker_events` ADD `new_positions_blocked` integer;