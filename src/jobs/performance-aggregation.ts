import type { Job } from "./run-job";

/** 00:00 UTC: per-wallet performance for all / 30d / 7d / 24h. */
export const runPerformanceAggregation: Job = async () => {
  return { status: "skipped", detail: { reason: "performance aggregation not built yet" } };
};
