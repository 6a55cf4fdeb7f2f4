/**
 * Copy latency (issue 14): the legs between the recorded timestamps of a copied signal, and their
 * distribution. Pure: the API and the replay script feed it rows.
 */
export interface CopyTimes {
  /** The leader's block time (chain clock, second precision). */
  block_time: string | null;
  webhook_received_at: string | null;
  /** When the WalletActor decided (copy or filter). */
  processed_at: string | null;
  /** When the entry order was queued. */
  order_requested_at: string | null;
  /** When the entry order filled. */
  order_executed_at: string | null;
}

export const LATENCY_LEGS = [
  "block_to_webhook",
  "webhook_to_decision",
  "decision_to_order",
  "order_to_fill",
  "webhook_to_fill",
  "block_to_fill",
] as const;
export type LatencyLeg = (typeof LATENCY_LEGS)[number];

const LEG_ENDS: Record<LatencyLeg, [keyof CopyTimes, keyof CopyTimes]> = {
  block_to_webhook: ["block_time", "webhook_received_at"],
  webhook_to_decision: ["webhook_received_at", "processed_at"],
  decision_to_order: ["processed_at", "order_requested_at"],
  order_to_fill: ["order_requested_at", "order_executed_at"],
  webhook_to_fill: ["webhook_received_at", "order_executed_at"],
  block_to_fill: ["block_time", "order_executed_at"],
};

/** Milliseconds of each leg whose two ends are recorded (a leg with a missing end is left out). */
export function latencyLegs(t: CopyTimes): Partial<Record<LatencyLeg, number>> {
  const out: Partial<Record<LatencyLeg, number>> = {};
  for (const leg of LATENCY_LEGS) {
    const [from, to] = LEG_ENDS[leg];
    const a = t[from] ? Date.parse(t[from] as string) : Number.NaN;
    const b = t[to] ? Date.parse(t[to] as string) : Number.NaN;
    if (Number.isFinite(a) && Number.isFinite(b)) out[leg] = b - a;
  }
  return out;
}

/** Nearest-rank percentile (p in (0, 100]) of an ascending list: a value that was actually recorded. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface Distribution {
  count: number;
  min_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return {
    count: s.length,
    min_ms: s[0] ?? null,
    p50_ms: percentile(s, 50),
    p95_ms: percentile(s, 95),
    p99_ms: percentile(s, 99),
    max_ms: s.at(-1) ?? null,
  };
}

export function latencyDistribution(rows: readonly CopyTimes[]): Record<LatencyLeg, Distribution> {
  const per: Record<LatencyLeg, number[]> = Object.fromEntries(LATENCY_LEGS.map((l) => [l, []])) as never;
  for (const r of rows) for (const [leg, ms] of Object.entries(latencyLegs(r))) per[leg as LatencyLeg].push(ms);
  return Object.fromEntries(LATENCY_LEGS.map((l) => [l, distribution(per[l])])) as Record<LatencyLeg, Distribution>;
}
