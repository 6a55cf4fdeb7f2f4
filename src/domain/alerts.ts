/**
 * Alert vocabulary (issue 12). An alert is identified by (kind, subject): the same condition seen again
 * bumps its count instead of adding a row. "event" kinds (a dead letter, a breaker trip) are raised once
 * per subject ever; "condition" kinds (a late cron) come back after being resolved if still true, and the
 * monitor resolves them itself when the condition clears.
 */
export const ALERT_KINDS = {
  webhook_silent: { severity: "critical", type: "condition" },
  wallet_no_signal: { severity: "info", type: "condition" },
  breaker_tripped: { severity: "critical", type: "event" },
  breaker_reset: { severity: "info", type: "event" },
  leader_paused: { severity: "warning", type: "event" },
  stuck_exit: { severity: "critical", type: "condition" },
  dead_letter: { severity: "critical", type: "event" },
  sync_error: { severity: "warning", type: "condition" },
  backfill_missed: { severity: "warning", type: "event" },
  stale_price: { severity: "warning", type: "condition" },
  upstream_failing: { severity: "warning", type: "condition" },
  rate_limit_high: { severity: "warning", type: "condition" },
  reconciliation: { severity: "critical", type: "condition" },
  cron_late: { severity: "critical", type: "condition" },
  cron_failing: { severity: "warning", type: "condition" },
  notification_failing: { severity: "warning", type: "condition" },
} as const satisfies Record<string, { severity: AlertSeverity; type: "event" | "condition" }>;

export type AlertKind = keyof typeof ALERT_KINDS;
export type AlertSeverity = "info" | "warning" | "critical";
export const ALERT_KIND_NAMES = Object.keys(ALERT_KINDS) as [AlertKind, ...AlertKind[]];

export interface AlertInput {
  kind: AlertKind;
  subject: string;
  message: string;
  detail?: Record<string, unknown>;
}

/** Kinds the monitor derives from the status; only those are auto-resolved when they clear. */
export const MONITORED_KINDS: readonly AlertKind[] = [
  "webhook_silent",
  "wallet_no_signal",
  "stuck_exit",
  "sync_error",
  "stale_price",
  "upstream_failing",
  "cron_late",
  "cron_failing",
  "rate_limit_high",
];

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
export const severityAtLeast = (s: AlertSeverity, min: AlertSeverity) => SEVERITY_RANK[s] >= SEVERITY_RANK[min];
