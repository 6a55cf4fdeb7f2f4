CREATE TABLE `signal_outcomes` (
	`signal_id` integer NOT NULL,
	`kind` text NOT NULL,
	`reason` text,
	`order_id` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`signal_id`, `kind`),
	CONSTRAINT "signal_outcomes_kind" CHECK(kind IN ('filtered'))
);
--> statement-breakpoint
ALTER TABLE `positions` ADD `state_version` integer DEFAULT 0 NOT NULL;