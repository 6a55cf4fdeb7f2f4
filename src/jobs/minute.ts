import { log, redact } from "../lib/logger";
import { repushBehind } from "../pipeline/wallet-hot-state";
import { runFundingExecution } from "./funding-execution";
import type { Job } from "./run-job";

/**
 * Every minute: scheduled fundings (src/jobs/funding-execution.ts), then the refresh-all watchdog — a
 * running refresh-all whose alarm was lost (alarms stop being retried after six failures) is re-armed, and
 * the hot-state pushes still owed to actors (src/pipeline/hot-state.ts) are repeated.
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
  // Hot-state pushes still owed (a failed push, a write made outside the API): repeated until confirmed.
  let hot: Record<string, unknown>;
  try {
    const r = await repushBehind(env);
    hot = { pushed: r.pushed, failed: r.failed.length };
  } catch (err) {
    log.warn("hot_state_repush_failed", { error: redact(err) });
    hot = { error: "failed" };
  }
  return {
    status: funding.status,
    detail: { funding: funding.detail ?? {}, refresh_all_watchdog: refresher, hot_state: hot },
  };
};
