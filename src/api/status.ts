import { createRoute, z } from "@hono/zod-openapi";
import { collectStatus } from "../ops/status";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

const VerdictSchema = z.enum(["ok", "late", "failing"]);

const ComponentSchema = z
  .object({
    name: z.string().openapi({ example: "cron:helius_sync" }),
    verdict: VerdictSchema,
    reason: z.string(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi("StatusComponent");

const StatusSchema = z
  .object({
    verdict: VerdictSchema.openapi({ description: "The worst component verdict" }),
    generated_at: z.string(),
    components: z.array(ComponentSchema),
  })
  .openapi("Status");

const getStatus = createRoute({
  method: "get",
  path: "/status",
  tags: ["operations"],
  summary:
    "Verdict per component (ok / late / failing, with the reason): crons, actor alarm loops, swap queue, positions, webhook, upstreams, circuit breaker, trading wallet",
  security: bearerSecurity,
  responses: { 200: jsonContent(StatusSchema, "Operator status"), ...errorResponses() },
});

export const statusRouter = createRouter().openapi(getStatus, async (c) => c.json(await collectStatus(c.env), 200));
