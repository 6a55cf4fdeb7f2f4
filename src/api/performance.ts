import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { recomputePerformance } from "../db/performance-store";
import { PERFORMANCE_PERIODS, performance, WALLET_MODES, wallets } from "../db/schema";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

const PerformanceRowSchema = z
  .object({
    wallet_id: z.number().int(),
    wallet_address: z.string(),
    period: z.enum(PERFORMANCE_PERIODS),
    mode: z.enum(WALLET_MODES).openapi({ description: "simulation or live: real money is never mixed with paper" }),
    signal_count: z.number().int(),
    filtered_signal_count: z.number().int(),
    position_count: z.number().int(),
    open_position_count: z.number().int(),
    closed_position_count: z.number().int(),
    wins: z.number().int(),
    losses: z.number().int(),
    win_rate_percent: z.number().nullable(),
    total_pnl_usd: z.number(),
    total_pnl_percent: z.number().nullable(),
    avg_pnl_usd: z.number().nullable(),
    avg_win_usd: z.number().nullable(),
    avg_loss_usd: z.number().nullable(),
    profit_ratio: z.number().nullable().openapi({ description: "The seed's ratio: average win ÷ |average loss|" }),
    profit_factor: z.number().nullable().openapi({ description: "Gross profit ÷ |gross loss|" }),
    best_trade_usd: z.number().nullable(),
    worst_trade_usd: z.number().nullable(),
    best_trade_percent: z.number().nullable(),
    worst_trade_percent: z.number().nullable(),
    avg_hold_minutes: z.number().nullable(),
    longest_win_streak: z.number().int(),
    longest_loss_streak: z.number().int(),
    current_streak: z.number().int(),
    computed_at: z.string(),
  })
  .openapi("WalletPerformance");

const list = createRoute({
  method: "get",
  path: "/performance",
  tags: ["performance"],
  summary: "Per-wallet performance, as last computed (daily at 00:00 UTC or on demand)",
  security: bearerSecurity,
  request: {
    query: z.object({
      wallet_id: z.coerce.number().int().positive().optional(),
      period: z.enum(PERFORMANCE_PERIODS).optional(),
      mode: z.enum(WALLET_MODES).optional(),
    }),
  },
  responses: {
    200: jsonContent(z.object({ items: z.array(PerformanceRowSchema) }), "Performance rows"),
    ...errorResponses(400),
  },
});

const recompute = createRoute({
  method: "post",
  path: "/performance/recompute",
  tags: ["performance"],
  summary: "Recompute every wallet's performance now",
  security: bearerSecurity,
  responses: {
    200: jsonContent(
      z.object({ wallets: z.number().int(), rows: z.number().int(), computed_at: z.string() }),
      "Recomputed",
    ),
    ...errorResponses(),
  },
});

export const performanceRouter = createRouter()
  .openapi(list, async (c) => {
    const { wallet_id, period, mode } = c.req.valid("query");
    const db = getDb(c.env.DB);
    const rows = await db
      .select({ row: performance, wallet_address: wallets.address })
      .from(performance)
      .innerJoin(wallets, eq(wallets.id, performance.wallet_id))
      .where(
        and(
          wallet_id ? eq(performance.wallet_id, wallet_id) : undefined,
          period ? eq(performance.period, period) : undefined,
          mode ? eq(performance.mode, mode) : undefined,
        ),
      )
      .orderBy(performance.wallet_id, performance.mode, performance.period)
      .all();
    const items = rows.map(({ row: { id: _id, ...rest }, wallet_address }) => ({ ...rest, wallet_address }));
    return c.json({ items }, 200);
  })
  .openapi(recompute, async (c) => c.json(await recomputePerformance(getDb(c.env.DB)), 200));
