import { nowIso } from "../lib/time";
import type { SwapBucket } from "./queue-bucket";
import { queueDepthAndOwed, readMeta } from "./queue-storage";

/** The SwapQueue's status for the operator: depth per priority, next run, dead letters, owed steps, tokens. */
export async function queueStatus(ctx: DurableObjectState, bucket: SwapBucket) {
  const last = readMeta(ctx.storage.sql, "last_execution_ms");
  return {
    actor: "SwapQueue",
    id: ctx.id.toString(),
    name: ctx.id.name ?? null,
    ...queueDepthAndOwed(ctx.storage.sql),
    next_run_at: await ctx.storage.getAlarm().then((a) => (a == null ? null : nowIso(a))),
    last_execution_at: last ? nowIso(Number(last)) : null,
    swap_tokens: bucket.read()?.tokens ?? null,
  };
}
