import { createRoute } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { ConfigSchema } from "../domain/config";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

const getConfig = createRoute({
  method: "get",
  path: "/config",
  tags: ["config"],
  summary: "Current runtime trading parameters",
  security: bearerSecurity,
  responses: { 200: jsonContent(ConfigSchema, "The config singleton"), ...errorResponses() },
});

export const configRouter = createRouter().openapi(getConfig, async (c) => {
  return c.json(await loadConfig(getDb(c.env.DB)), 200);
});
