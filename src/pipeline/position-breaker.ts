import { checkBreakerRules } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import type { Config } from "../domain/config";
import { log } from "../lib/logger";
import { repushBehind } from "./wallet-hot-state";

/**
 * A closed trade may trip the breaker (drawdown, win rate, loss streak). A failure throws: the fill that
 * closed the trade is then retried by the SwapQueue, and the repeat redoes this check (it is idempotent).
 */
export async function checkBreakerAfterClose(
  env: Env,
  config: () => Promise<Config>,
  positionId: string | undefined,
): Promise<void> {
  try {
    const cfg = await config();
    const res = await checkBreakerRules(getDb(env.DB), cfg);
    if (res.tripped) {
      log.warn("circuit_breaker_tripped", { trigger: res.event?.trigger, position_id: positionId });
      await repushBehind(env); // never throws on a failed push: the minute cron repeats what is owed
    }
  } catch (err) {
    log.warn("circuit_breaker_check_failed", { error: String(err) });
    throw err;
  }
}
