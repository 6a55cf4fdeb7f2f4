import { createRoute, z } from "@hono/zod-openapi";
import { API_VERSION } from "../lib/version";
import { jsonContent } from "./common";
import { createRouter } from "./router";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["ok", "unavailable"]),
    version: z.string(),
  })
  .openapi("Health");

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Liveness and database reachability (public, no secrets)",
  responses: {
    200: jsonContent(HealthSchema, "Service is up"),
    503: jsonContent(HealthSchema, "Database unreachable"),
  },
});

export const healthRouter = createRouter().openapi(health, async (c) => {
  let database: "ok" | "unavailable" = "ok";
  try {
    await c.env.DB.prepare("SELECT 1").first();
  } catch {
    database = "unavailable";
  }
  const body = { status: database === "ok" ? "ok" : "degraded", database, version: API_VERSION } as const;
  return c.json(body, database === "ok" ? 200 : 503);
});
