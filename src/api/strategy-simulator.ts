import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { loadTemplate } from "../db/positions-store";
import { EXIT_REASONS } from "../db/schema";
import { mergeStrategy, StrategyOverrideSchema, strategyProblems } from "../domain/exit-strategy";
import { SIM_DECIMALS, simulateStrategy } from "../domain/strategy-simulator";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

/**
 * POST /strategies/simulate (issue 14): what a strategy would have done on a price path, computed by the
 * PositionActor's own per-tick code (src/domain/position-tick.ts). Reads the catalog and the poll config;
 * writes nothing.
 */
const MAX_TICKS = 10_000;

const TickSchema = z
  .object({
    at_seconds: z
      .number()
      .min(0)
      .max(366 * 86_400)
      .openapi({ description: "seconds after the entry", example: 60 }),
    price_usd: z.number().gt(0).max(1e12),
  })
  .strict();

const SaleSchema = z
  .object({
    at_seconds: z
      .number()
      .min(0)
      .max(366 * 86_400),
    fraction: z.number().gt(0).max(1).openapi({ description: "share of its holding the leader sold", example: 0.5 }),
  })
  .strict();

export const SimulateBody = z
  .object({
    strategy_id: z.number().int().positive().optional().openapi({ description: "catalog id; the default if omitted" }),
    strategy: StrategyOverrideSchema.optional().openapi({
      description: "inline rules merged over the catalog strategy, validated like a position override",
    }),
    entry_price_usd: z.number().gt(0).max(1e12),
    amount_usd: z.number().gt(0).max(1e9).openapi({ description: "entry cost", example: 100 }),
    ticks: z
      .array(TickSchema)
      .min(1)
      .max(MAX_TICKS)
      .superRefine((ticks, ctx) => {
        ticks.forEach((t, i) => {
          const prev = ticks[i - 1];
          if (prev && !(t.at_seconds > prev.at_seconds))
            ctx.addIssue({
              code: "custom",
              path: [i, "at_seconds"],
              message: "ticks must be in strictly increasing time",
            });
        });
      }),
    leader_sales: z.array(SaleSchema).max(1000).optional(),
  })
  .strict()
  .openapi("StrategySimulation");

const ExitSchema = z.object({
  at_seconds: z.number(),
  reason: z.enum(EXIT_REASONS),
  fraction_of_entry: z.number().openapi({ description: "share of the original amount sold" }),
  amount: z.string().openapi({ description: `base units (${SIM_DECIMALS} decimals)` }),
  price_usd: z.number(),
  proceeds_usd: z.number(),
  level: z.number().optional().openapi({ description: "scaling level multiple" }),
});

const ResultSchema = z
  .object({
    strategy: z.object({ id: z.number().int(), rules: z.record(z.string(), z.unknown()) }),
    entry_price_usd: z.number(),
    entry_amount: z.string(),
    entry_cost_usd: z.number(),
    exits: z.array(ExitSchema),
    status: z.enum(["open", "closed"]),
    exit_reason: z.enum(EXIT_REASONS).nullable(),
    remaining_fraction: z.number(),
    last_price_usd: z.number(),
    realized_pnl_usd: z.number(),
    unrealized_pnl_usd: z.number(),
    total_pnl_usd: z.number(),
    pnl_percent: z.number(),
  })
  .openapi("StrategySimulationResult");

const simulateRoute = createRoute({
  method: "post",
  path: "/strategies/simulate",
  tags: ["exit-strategies"],
  summary: "Simulate an exit strategy on a price path with the PositionActor's per-tick code",
  security: bearerSecurity,
  request: {
    body: {
      content: {
        "application/json": {
          schema: SimulateBody,
          example: {
            strategy_id: 1,
            entry_price_usd: 0.002,
            amount_usd: 100,
            ticks: [
              { at_seconds: 60, price_usd: 0.0026 },
              { at_seconds: 120, price_usd: 0.0041 },
            ],
            leader_sales: [{ at_seconds: 180, fraction: 0.5 }],
          },
        },
      },
      required: true,
    },
  },
  responses: { 200: jsonContent(ResultSchema, "The exits in order and the PnL"), ...errorResponses(400, 404) },
});

export const strategySimulatorRouter = createRouter().openapi(simulateRoute, async (c) => {
  const body = c.req.valid("json");
  const db = getDb(c.env.DB);
  const template = await loadTemplate(db, body.strategy_id ?? null);
  if (!template) throw new ApiError("NotFound", `strategy_id: no exit strategy ${body.strategy_id ?? "(default)"}`);
  const rules = mergeStrategy(template.rules, body.strategy);
  const problems = strategyProblems(rules);
  if (problems.length) throw new ApiError("ValidationError", problems.map((p) => `strategy.${p}`).join("; "));
  const entryAmount = BigInt(Math.floor((body.amount_usd / body.entry_price_usd) * 10 ** SIM_DECIMALS));
  if (entryAmount <= 0n)
    throw new ApiError("ValidationError", "amount_usd: buys less than one base unit at entry_price_usd");
  const cfg = await loadConfig(db);
  const r = simulateStrategy({
    rules,
    entry_price_usd: body.entry_price_usd,
    entry_amount: entryAmount,
    entry_cost_usd: body.amount_usd,
    ticks: body.ticks,
    leader_sales: body.leader_sales ?? [],
    poll: cfg,
  });
  return c.json(
    {
      strategy: { id: template.id, rules },
      entry_price_usd: body.entry_price_usd,
      entry_amount: entryAmount.toString(),
      entry_cost_usd: body.amount_usd,
      exits: r.exits.map((e) => ({ ...e, amount: e.amount.toString() })),
      status: r.status,
      exit_reason: r.exit_reason,
      remaining_fraction: r.remaining_fraction,
      last_price_usd: r.last_price_usd,
      realized_pnl_usd: r.realized_pnl_usd,
      unrealized_pnl_usd: r.unrealized_pnl_usd,
      total_pnl_usd: r.total_pnl_usd,
      pnl_percent: r.pnl_percent,
    },
    200,
  );
});
