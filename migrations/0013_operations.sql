CREATE TABLE `alert_candidates` (
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`first_seen_at` text NOT NULL,
	PRIMARY KEY(`kind`, `subject`)
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`severity` text NOT NULL,
	`message` text NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`first_seen_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`acknowledged_at` text,
	`acknowledged_by` text,
	`resolved_at` text,
	`resolved_by` text,
	CONSTRAINT "alerts_severity" CHECK(severity IN ('info', 'warning', 'critical')),
	CONSTRAINT "alerts_status" CHECK(status IN ('open', 'acknowledged', 'resolved'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_active_unique` ON `alerts` (`kind`,`subject`) WHERE status != 'resolved';--> statement-breakpoint
CREATE INDEX `alerts_recent_idx` ON `alerts` (`status`,`last_seen_at`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`channel` text NOT NULL,
	`action` text NOT NULL,
	`subject` text,
	`request` text,
	`outcome_status` integer NOT NULL,
	`before` text,
	`after` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_recent_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`created_at`);--> statement-breakpoint
CREATE TABLE `dashboard_session` (
	`id` integer PRIMARY KEY DEFAULT 1 NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "dashboard_session_singleton" CHECK(id = 1)
);
--> statement-breakpoint
CREATE TABLE `heartbeats` (
	`component` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`last_started_at` text NOT NULL,
	`last_finished_at` text,
	`last_duration_ms` integer,
	`last_outcome` text NOT NULL,
	`last_error` text,
	`last_ok_at` text,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`runs` integer DEFAULT 0 NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "heartbeats_kind" CHECK(kind IN ('cron', 'alarm')),
	CONSTRAINT "heartbeats_outcome" CHECK(last_outcome IN ('running', 'ok', 'error', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE `upstream_health` (
	`service` text PRIMARY KEY NOT NULL,
	`recent` text DEFAULT '[]' NOT NULL,
	`last_success_at` text,
	`last_failure_at` text,
	`last_error` text,
	`open_until` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
ALTER TABLE `config` ADD `webhook_silence_alert_minutes` integer DEFAULT 2880 NOT NULL;--> statement-breakpoint
ALTER TABLE `config` ADD `retention_days` integer DEFAULT 90 NOT NULL;