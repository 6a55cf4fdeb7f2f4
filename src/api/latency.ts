import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, gte, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { orders, PERFORMANCE_PERIODS, signals } from "../db/schema";
import { effectiveSignal } from "../db/signal-outcomes";
import { latencyDistribution } from "../domain/latency";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

/** GET /performance/latency (issue 14): copy latency legs of copied signals, p50/p95/p99 per window. */
const WINDOW_MS: Record<(typeof PERFORMANCE_PERIODS)[number], number | null> = {
  all: null,
  "30d": 30 * 86_400_000,
  "7d": 7 * 86_400_000,
  "24h": 86_400_000,
};
/** Bound on the rows read for one answer: the newest copies when there are more. */
const MAX_ROWS = 50_000;

const DistributionSchema = z.object({
  count: z.number().int(),
  min_ms: z.number().nullable(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
  max_ms: z.number().nullable(),
});

const LatencySchema = z
  .object({
    window: z.enum(PERFORMANCE_PERIODS),
    copied_signals: z.number().int(),
    legs: z.object({
      block_to_webhook: DistributionSchema,
      webhook_to_decision: DistributionSchema,
      decision_to_order: DistributionSchema,
      order_to_fill: DistributionSchema,
      webhook_to_fill: DistributionSchema,
      block_to_fill: DistributionSchema,
    }),
    computed_at: z.string(),
  })
  .openapi("CopyLatency");

const route = createRoute({
  method: "get",
  path: "/performance/latency",
  tags: ["performance"],
  summary: "Copy latency of copied signals: block → webhook → decision → order → fill, p50/p95/p99 (ms) per window",
  security: bearerSecurity,
  request: { query: z.object({ window: z.enum(PERFORMANCE_PERIODS).default("24h") }) },
  responses: { 200: jsonContent(LatencySchema, "Latency distribution per leg"), ...errorResponses(400) },
});

export const latencyRouter = createRouter().openapi(route, async (c) => {
  const { window } = c.req.valid("query");
  const span = WINDOW_MS[window];
  const where = and(
    eq(signals.signal_type, "buy"),
    sql`${effectiveSignal.filtered} = 0`,
    eq(orders.side, "buy"),
    ...(span !== null ? [gte(signals.webhook_received_at, new Date(Date.now() - span).toISOString())] : []),
  );
  const rows = await getDb(c.env.DB)
    .select({
      block_time: signals.block_time,
      webhook_received_at: signals.webhook_received_at,
      processed_at: signals.processed_at,
      order_requested_at: orders.requested_at,
      order_executed_at: orders.executed_at,
    })
    .from(signals)
    .innerJoin(orders, eq(orders.id, signals.order_id))
    .where(where)
    .orderBy(signals.id)
    .limit(MAX_ROWS);
  return c.json(
    {
      window,
      copied_signals: rows.length,
      legs: latencyDistribution(rows),
      computed_at: new Date().toISOString(),
    },
    200,
  );
});
