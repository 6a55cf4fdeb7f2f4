import { runHeliusSync } from "./jobs/helius-sync";
import { runHourlyRefresh } from "./jobs/hourly-refresh";
import { runMinuteJobs } from "./jobs/minute";
import { runNotifications } from "./jobs/notifications";
import { runOpsMonitor } from "./jobs/ops-monitor";
import { runPerformanceAggregation } from "./jobs/performance-aggregation";
import { reconciliationJob } from "./jobs/reconciliation";
import { runRetention } from "./jobs/retention";
import { type Job, runJob } from "./jobs/run-job";

/** Cron expression (as written in wrangler.toml) → job. DESIGN §1. */
export const CRON_JOBS: Record<string, { name: string; job: Job; periodSeconds: number }> = {
  "* * * * *": { name: "funding_execution", job: runMinuteJobs, periodSeconds: 60 },
  "*/5 * * * *": { name: "helius_sync", job: runHeliusSync, periodSeconds: 300 },
  "0 * * * *": { name: "hourly_refresh", job: runHourlyRefresh, periodSeconds: 3600 },
  "0 0 * * *": { name: "performance_aggregation", job: runPerformanceAggregation, periodSeconds: 86400 },
};

/**
 * Operations jobs that run on a cron beside its main job, each with its own run row and heartbeat, so
 * one failing never stops the other (issue 12).
 */
export const OPS_JOBS: { cron: string; name: string; job: Job; periodSeconds: number }[] = [
  { cron: "*/5 * * * *", name: "ops_monitor", job: runOpsMonitor, periodSeconds: 300 },
  // Outbox delivery (Telegram, webhook): every minute, its own run so a failing channel never touches fundings.
  { cron: "* * * * *", name: "notifications", job: runNotifications, periodSeconds: 60 },
  { cron: "0 0 * * *", name: "retention", job: runRetention, periodSeconds: 86400 },
  { cron: "0 * * * *", name: "reconciliation", job: reconciliationJob("cron"), periodSeconds: 3600 },
];

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const entry = CRON_JOBS[controller.cron];
  if (!entry) {
    console.warn(JSON.stringify({ event: "cron_unknown", level: "warn", cron: controller.cron }));
    return;
  }
  ctx.waitUntil(runJob(env, entry.name, controller.cron, entry.job, controller.scheduledTime));
  for (const ops of OPS_JOBS.filter((o) => o.cron === controller.cron))
    ctx.waitUntil(runJob(env, ops.name, controller.cron, ops.job, controller.scheduledTime));
}
