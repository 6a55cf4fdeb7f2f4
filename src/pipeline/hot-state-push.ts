import type { MiddlewareHandler } from "hono";
import { log } from "../lib/logger";
import { repushBehind } from "./wallet-hot-state";

/**
 * Paths whose writes change what the actors cache (src/pipeline/hot-state.ts): config (PUT / PATCH, import,
 * restore, reset), the circuit breaker, wallets (create, update, pause, activate, delete) and the exit
 * strategy catalog, through the API or the dashboard's forms.
 */
const HOT_WRITES =
  /^(\/api\/v1)?\/(config(\/.*)?|circuit-breaker(\/.*)?|exit-strategies(\/.*)?|wallets(\/[^/]+)?(\/active)?)$/;

/**
 * After a write on one of those paths, pushes the new hot-state version to every actor behind it, before
 * the answer: a change the operator saw accepted is in the actors before their next decision. Driven by the
 * version D1's triggers bumped (not by each handler), so no writer can forget to push; a push that fails
 * stays owed and the minute cron repeats it.
 */
export function pushHotStateAfterWrites(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD" || !HOT_WRITES.test(c.req.path)) return;
    if ([401, 403, 429].includes(c.res.status)) return; // refused before any write
    try {
      const res = await repushBehind(c.env);
      if (res.failed.length) log.warn("hot_state_push_owed", { failed: res.failed.length, version: res.version });
    } catch (err) {
      log.warn("hot_state_push_owed", { error: String(err) });
    }
  };
}
