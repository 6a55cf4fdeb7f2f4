import { OpenAPIHono } from "@hono/zod-openapi";
import { errorBody, formatZodIssues } from "../lib/errors";

export type AppEnv = { Bindings: Env };

/** Every router is built with this: a zod failure becomes the DESIGN §6 envelope naming the field. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json(errorBody("ValidationError", formatZodIssues(result.error.issues)), 400);
    },
  });
}
