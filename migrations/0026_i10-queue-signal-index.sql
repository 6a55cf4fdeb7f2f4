CREATE INDEX `orders_signal_signature_idx` ON `orders` (`signal_signature`);--> statement-breakpoint
CREATE INDEX `positions_signal_signature_idx` ON `positions` (`signal_signature`);