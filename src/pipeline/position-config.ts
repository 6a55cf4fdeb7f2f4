import type { Db } from "../db/client";
import { loadConfig } from "../db/config-store";
import { loadTemplate } from "../db/positions-store";
import type { Config } from "../domain/config";
import type { StrategyRules } from "../domain/exit-strategy";
import { log } from "../lib/logger";
import type { HotSnapshot, HotStateStore } from "./hot-state";
import type { SwapQueueStub } from "./position-queue";
import type { PositionHotState } from "./queue-hot-state";

/**
 * The exit-strategy template of a position (a strategy deleted between the signal and the fill falls back
 * to the catalog default); throws when neither can be read. Only for a position whose fill carried none
 * (the queue hands it from its hot state): an open from an older owed step, a direct call.
 */
export async function positionTemplate(
  db: Db,
  strategyId: number | null,
): Promise<{ id: number; rules: StrategyRules }> {
  const template = (await loadTemplate(db, strategyId)) ?? (strategyId != null ? await loadTemplate(db, null) : null);
  if (!template) throw new Error(`exit strategy ${strategyId ?? "default"} not found`);
  return template;
}

/**
 * The config each decision uses: the cached snapshot, refreshed from the SwapQueue by version before the
 * decision (the queue answers only when it holds a newer one; writers push to the queue). A queue that
 * cannot answer leaves the cached one; only a position with none at all reads D1 (an old position).
 */
export async function positionConfig(
  hot: HotStateStore<PositionHotState>,
  queue: () => SwapQueueStub,
  db: () => Db,
): Promise<Config> {
  const known = hot.current();
  try {
    const fresh = await queue().positionHotState(known?.version ?? null);
    if (fresh) hot.apply(fresh);
  } catch (err) {
    if (known) log.warn("position_config_refresh_failed", { error: String(err), served: "cached" });
    else return loadConfig(db());
  }
  return (hot.current() as HotSnapshot<PositionHotState>).data.config;
}
