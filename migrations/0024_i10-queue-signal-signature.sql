ALTER TABLE `orders` ADD `signal_signature` text;--> statement-breakpoint
ALTER TABLE `positions` ADD `signal_signature` text;