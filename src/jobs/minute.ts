import { log, redact } from "../lib/logger";
import { runFundingExecution } from "./funding-execution";
import type { Job } from "./run-job";

/**
 * Every minute: scheduled fundings (src/jobs/funding-execution.ts), then the refresh-all watchdog — a
 * running refresh-all whose alarm was lost (alarms stop being retried after six failures) is re-armed.
 */
export const runMinuteJobs: Job = async (env, scheduledTime) => {
  const funding = await runFundingExecution(env, scheduledTime);
  let refresher: Record<string, unknown>;
  try {
    const r = await env.PORTFOLIO_REFRESHER.getByName("default").ensureScheduled();
    refresher = { rearmed: r.rearmed };
  } catch (err) {
    log.warn("portfolio_refresher_unreachable", { error: redact(err) });
    refresher = { error: "unreachable" };
  }
  return {
    status: funding.status,
    detail: { funding: funding.detail ?? {}, refresh_all_watchdog: refresher },
  };
};
