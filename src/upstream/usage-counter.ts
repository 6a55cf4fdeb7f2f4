import { RATE_METRICS, type RateMetric, usageOfCall, windowKey } from "../domain/rate-usage";

/**
 * Upstream usage counters (issue 12), kept in memory per isolate so that counting a call never costs a D1
 * write: counts are added to `rate_usage` by the registered sink at most every FLUSH_MS, when a window
 * closes, and at the end of each cron run. A failed flush keeps the counts for the next one.
 */
export type UsageSink = (rows: { metric: RateMetric; window: string; count: number }[]) => Promise<void>;

export const USAGE_FLUSH_MS = 10_000;
const pending = new Map<string, { metric: RateMetric; window: string; count: number }>();
let sink: UsageSink | null = null;
let flushedAt = Date.now();
let flushing: Promise<void> | null = null;

export function setUsageSink(s: UsageSink | null) {
  sink = s;
}

function addPending(metric: RateMetric, window: string, amount: number) {
  const key = `${metric}|${window}`;
  const row = pending.get(key);
  if (row) row.count += amount;
  else pending.set(key, { metric, window, count: amount });
}

export function countUsage(metric: RateMetric, amount = 1, now = Date.now()) {
  addPending(metric, windowKey(RATE_METRICS[metric].window, now), amount);
}

/** Counts one upstream call (see usageOfCall); flushes when due. Never throws. */
export async function countCall(service: string, method: string, url: string, status: number | null, now = Date.now()) {
  for (const u of usageOfCall(service, method, url, status)) countUsage(u.metric, u.amount, now);
  await flushUsageIfDue(now);
}

/** Flushes only when FLUSH_MS passed since the last flush or a counted window has closed. */
export async function flushUsageIfDue(now = Date.now()) {
  if (now - flushedAt >= USAGE_FLUSH_MS || hasClosedWindow(now)) await flushUsage(now);
}

function hasClosedWindow(now: number) {
  for (const r of pending.values()) if (r.window !== windowKey(RATE_METRICS[r.metric].window, now)) return true;
  return false;
}

/** Adds the pending counts to D1 through the sink (one batch). Never throws: monitoring must not fail a call. */
export async function flushUsage(now = Date.now()): Promise<void> {
  if (flushing) return flushing;
  flushedAt = now;
  if (!sink || pending.size === 0) return;
  const rows = [...pending.values()];
  pending.clear();
  const write = sink;
  flushing = (async () => {
    try {
      await write(rows);
    } catch {
      // Put them back under their own windows (adding to what was counted meanwhile): the next flush retries.
      for (const r of rows) addPending(r.metric, r.window, r.count);
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** What is counted and not yet written (tests, and the status of this isolate). */
export function pendingUsage() {
  return [...pending.values()].map((r) => ({ ...r }));
}

/** Tests start from nothing counted. */
export function resetUsage() {
  pending.clear();
  flushedAt = Date.now();
}
