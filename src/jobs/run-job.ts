import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { heartbeatFinished, heartbeatStarted } from "../db/heartbeats";
import { jobRuns } from "../db/schema";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import { attachUpstreamHealth } from "../ops/upstream-store";
import { flushUsage } from "../upstream/usage-counter";

export type JobResult = { status: "ok" | "skipped"; detail?: Record<string, unknown> };
export type Job = (env: Env, scheduledTime: number) => Promise<JobResult>;

/** Runs a job with a `job_runs` row around it; a failure is recorded and logged, never thrown to the runtime. */
export async function runJob(env: Env, name: string, cron: string | null, job: Job, scheduledTime = Date.now()) {
  const db = getDb(env.DB);
  attachUpstreamHealth(env);
  const startedAt = Date.now();
  await heartbeatStarted(env.DB, name, "cron", startedAt);
  const row = await db
    .insert(jobRuns)
    .values({ job: name, cron, status: "running", started_at: nowIso() })
    .returning({ id: jobRuns.id })
    .get();
  try {
    // Upstream usage counted during the run is written when it ends, whatever the outcome.
    const result = await job(env, scheduledTime).finally(() => flushUsage());
    await db
      .update(jobRuns)
      .set({ status: result.status, detail: JSON.stringify(result.detail ?? {}), finished_at: nowIso() })
      .where(eq(jobRuns.id, row.id));
    await heartbeatFinished(env.DB, name, "cron", { startedAt, outcome: result.status });
    log.info("job_finished", { job: name, status: result.status, ...result.detail });
    return result;
  } catch (err) {
    const message = errorMessage(err);
    await db
      .update(jobRuns)
      .set({ status: "error", detail: JSON.stringify({ error: redact(message) }), finished_at: nowIso() })
      .where(eq(jobRuns.id, row.id));
    await heartbeatFinished(env.DB, name, "cron", { startedAt, outcome: "error", error: String(redact(message)) });
    log.error("job_failed", { job: name, error: redact(err) });
    return { status: "error" as const, detail: { error: message } };
  }
}
