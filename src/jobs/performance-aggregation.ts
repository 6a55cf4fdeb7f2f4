import { getDb } from "../db/client";
import { recomputePerformance } from "../db/performance-store";
import type { Job } from "./run-job";

/** 00:00 UTC: per-wallet performance for all / 30d / 7d / 24h (also on demand: POST /api/v1/performance/recompute). */
export const runPerformanceAggregation: Job = async (env, scheduledTime) => {
  const result = await recomputePerformance(getDb(env.DB), scheduledTime);
  return { status: "ok", detail: result };
};
