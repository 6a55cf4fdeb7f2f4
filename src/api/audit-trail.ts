import type { MiddlewareHandler } from "hono";
import { recordAudit, tokenActor } from "../db/audit";
import { log } from "../lib/logger";
import type { AppEnv } from "./router";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** POST /x/{id}/<action>: the "before" state is the resource itself. */
const ACTION_SUFFIX = /\/(exit|activate|deactivate|ack|resolve|refresh)$/;

/** The GET path whose answer is the state an operator action changes, or null (a create, a batch run). */
export function beforePathOf(method: string, path: string): string | null {
  if (method === "PUT" || method === "PATCH" || method === "DELETE") {
    // PATCH /positions/{id}/strategy changes the position.
    return path.replace(/\/strategy$/, "");
  }
  if (ACTION_SUFFIX.test(path)) return path.replace(ACTION_SUFFIX, "");
  if (/\/sync\/helius$/.test(path)) return path;
  return null;
}

/**
 * Records every operator API action (after auth): who (the token's short hash), what (method and route),
 * the request body, the state before (read through the API's own GET) and after (the answer), and the
 * status. Refused attempts are recorded too. A failing audit write is logged and does not undo the
 * action, which already happened.
 */
export function auditTrail(
  getApp: () => { request: (p: string, i: RequestInit, e: Env) => Response | Promise<Response> },
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (!MUTATING.has(method)) return next();
    const path = c.req.path;
    const auth = c.req.header("authorization") ?? "";
    const readJson = async (res: Response) => {
      const type = res.headers.get("content-type") ?? "";
      if (!type.includes("application/json")) return null;
      try {
        return await res.clone().json();
      } catch {
        return null;
      }
    };
    let before: unknown = null;
    const bp = beforePathOf(method, path);
    if (bp) {
      try {
        const res = await getApp().request(bp, { headers: { authorization: auth } }, c.env);
        if (res.status === 200) before = await readJson(res);
      } catch {
        before = null;
      }
    }
    let request: unknown = null;
    try {
      const text = await c.req.raw.clone().text();
      request = text ? (JSON.parse(text) as unknown) : null;
    } catch {
      request = "(not JSON)";
    }
    await next();
    const route = c.req.matchedRoutes.filter((r) => r.method !== "ALL").at(-1)?.path ?? path;
    try {
      await recordAudit(c.env.DB, {
        actor: await tokenActor(auth.replace(/^Bearer\s+/i, "")),
        channel: "api",
        action: `${method} ${route}`,
        subject: path,
        request,
        outcome_status: c.res.status,
        before,
        after: await readJson(c.res),
      });
    } catch (err) {
      log.error("audit_write_failed", { path, error: String(err) });
    }
  };
}
