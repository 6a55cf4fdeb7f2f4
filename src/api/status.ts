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

const FindingCounts = z.object({
  holding_without_position: z.number().int(),
  position_without_holding: z.number().int(),
  amount_mismatch: z.number().int(),
  pnl_mismatch: z.number().int(),
});

const ReconciliationSummarySchema = z
  .object({
    run_id: z.number().int(),
    trigger: z.string(),
    status: z.enum(["running", "ok", "error"]),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    findings: z.number().int(),
    by_severity: z
      .object({ critical: z.number().int(), warning: z.number().int() })
      .openapi({ description: "critical: a live position and the wallet disagree; warning: bookkeeping only" }),
    by_kind: FindingCounts,
    positions_checked: z.number().int(),
    positions_closed: z.number().int(),
    holdings_checked: z.boolean(),
    route: z.string().openapi({ example: "/api/v1/reconciliation?run_id=12" }),
    summary: z.string().openapi({ description: "The run in one sentence" }),
  })
  .openapi("ReconciliationSummary");

const StatusSchema = z
  .object({
    verdict: VerdictSchema.openapi({ description: "The worst component verdict" }),
    generated_at: z.string(),
    components: z.array(ComponentSchema),
    reconciliation: ReconciliationSummarySchema.nullable().openapi({
      description: "The last reconciliation run (null before any); its findings are reconciliation alerts",
    }),
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
