import { OpenAPIHono } from "@hono/zod-openapi";
import { errorBody, formatZodIssues } from "../lib/errors";

/**
 * `channel`: who is calling in-process. The dashboard's forms call these routers directly (src/ui/api-call.ts)
 * and set it to "dashboard"; an HTTP request can never set it (no header maps to it), so it is absent there.
 */
export type AppEnv = { Bindings: Env; Variables: { channel?: "dashboard" } };

/** Every router is built with this: a zod failure becomes the DESIGN §6 envelope naming the field. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json(errorBody("ValidationError", formatZodIssues(result.error.issues)), 400);
    },
  });
}
