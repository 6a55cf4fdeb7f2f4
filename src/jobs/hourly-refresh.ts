import type { Job } from "./run-job";

/** Hourly: position watchdog, token-cache refresh, order reconciliation. */
export const runHourlyRefresh: Job = async () => {
  return { status: "skipped", detail: { reason: "hourly refresh not built yet" } };
};
