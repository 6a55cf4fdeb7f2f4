import type { Job } from "./run-job";

/** Pushes the active watchlist to the global Helius webhook (ADR-001). Built by the watchlist issue. */
export const runHeliusSync: Job = async (env) => {
  if (!env.HELIUS_API_KEY) return { status: "skipped", detail: { reason: "HELIUS_API_KEY not configured" } };
  return { status: "skipped", detail: { reason: "helius sync not built yet" } };
};
