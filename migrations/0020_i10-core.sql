CREATE TABLE `hot_state` (
	`id` integer PRIMARY KEY DEFAULT 1 NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "hot_state_singleton" CHECK(id = 1)
);
--> statement-breakpoint
CREATE TABLE `hot_state_acks` (
	`target` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
ALTER TABLE `signals` ADD `filter_detail` text;