import { runHeliusSync } from "./jobs/helius-sync";
import { runHourlyRefresh } from "./jobs/hourly-refresh";
import { runMinuteJobs } from "./jobs/minute";
import { runPerformanceAggregation } from "./jobs/performance-aggregation";
import { type Job, runJob } from "./jobs/run-job";

/** Cron expression (as written in wrangler.toml) → job. DESIGN §1. */
export const CRON_JOBS: Record<string, { name: string; job: Job }> = {
  "* * * * *": { name: "funding_execution", job: runMinuteJobs },
  "*/5 * * * *": { name: "helius_sync", job: runHeliusSync },
  "0 * * * *": { name: "hourly_refresh", job: runHourlyRefresh },
  "0 0 * * *": { name: "performance_aggregation", job: runPerformanceAggregation },
};

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const entry = CRON_JOBS[controller.cron];
  if (!entry) {
    console.warn(JSON.stringify({ event: "cron_unknown", level: "warn", cron: controller.cron }));
    return;
  }
  ctx.waitUntil(runJob(env, entry.name, controller.cron, entry.job, controller.scheduledTime));
}
