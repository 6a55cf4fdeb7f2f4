import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { getPosition } from "../db/positions-store";
import { EXIT_REASONS, orders, POSITION_STATUSES, type PositionRow, positions, WALLET_MODES } from "../db/schema";
import { StrategyOverrideSchema, StrategyRulesSchema } from "../domain/exit-strategy";
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE } from "../domain/idempotency";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { OrderSchema } from "./orders";
import { createRouter } from "./router";

/** Positions: read from D1 (the PositionActors' read model); acts go to the position's actor. */
export const PositionSchema = z
  .object({
    id: z.string(),
    status: z.enum(POSITION_STATUSES),
    mode: z.enum(WALLET_MODES),
    wallet_id: z.number().int().nullable(),
    source_wallet_address: z.string(),
    signal_id: z.number().int().nullable(),
    entry_order_id: z.string().nullable(),
    token_mint: z.string(),
    token_decimals: z.number().int(),
    exit_strategy_id: z.number().int().nullable(),
    strategy_override: z.record(z.string(), z.unknown()).nullable(),
    entry_price_usd: z.number(),
    entry_amount: z.string().openapi({ description: "base units" }),
    entry_cost_usd: z.number(),
    current_amount: z.string().openapi({ description: "base units still held" }),
    current_price_usd: z.number().nullable(),
    peak_price_usd: z.number().nullable(),
    trailing_active: z.boolean(),
    scaling_levels_hit: z
      .array(z.number())
      .openapi({ description: "multiples of the scaling levels already sold (or queued)" }),
    unrealized_pnl_usd: z.number(),
    realized_pnl_usd: z.number(),
    total_pnl_usd: z.number(),
    pnl_percent: z.number(),
    sold_amount: z.string(),
    exit_proceeds_usd: z.number(),
    avg_exit_price_usd: z.number().nullable(),
    exit_reason: z.enum(EXIT_REASONS).nullable(),
    price_source: z.string().nullable(),
    last_price_at: z.string().nullable(),
    next_poll_at: z.string().nullable(),
    poll_interval_seconds: z.number().int().nullable(),
    opened_at: z.string(),
    closed_at: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi("Position");

const toApi = (p: PositionRow) => {
  const { created_at: _c, entry_price_sol: _e, entry_cost_sol: _s, ...rest } = p;
  return {
    ...rest,
    strategy_override: p.strategy_override ? (JSON.parse(p.strategy_override) as Record<string, unknown>) : null,
    scaling_levels_hit: JSON.parse(p.scaling_levels_hit) as number[],
  };
};

const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "id", in: "path" } }),
});

const PositionsQuery = PageQuery.extend({
  status: z
    .enum(["open", "closed"])
    .optional()
    .openapi({ description: "open = still held (includes positions whose full exit is queued)" }),
  wallet: z.string().min(1).max(64).optional().openapi({ description: "source (leader) wallet address" }),
  mint: z.string().min(1).max(64).optional(),
});

const listPositions = createRoute({
  method: "get",
  path: "/positions",
  tags: ["positions"],
  summary: "Positions, newest first",
  security: bearerSecurity,
  request: { query: PositionsQuery },
  responses: {
    200: jsonContent(pageOf(PositionSchema, "PositionPage"), "A page of positions"),
    ...errorResponses(400),
  },
});

const PriceHistorySchema = z.object({
  ticks: z.number().int(),
  min_price_usd: z.number().nullable(),
  max_price_usd: z.number().nullable(),
  first_tick_at: z.string().nullable(),
  recent: z.array(z.object({ at: z.string(), price_usd: z.number().nullable(), source: z.string().nullable() })),
});

const PositionDetailSchema = PositionSchema.extend({
  rules: StrategyRulesSchema.nullable(),
  poll_mode: z.string().nullable(),
  last_error: z.string().nullable(),
  stuck_exit: z
    .object({ order_id: z.string(), code: z.string().nullable(), since: z.string(), updated_at: z.string() })
    .nullable()
    .openapi({ description: "A live exit with no route, retried with backoff until it lands (issue 11)" }),
  exits: z.array(z.record(z.string(), z.unknown())),
  orders: z.array(OrderSchema),
  price_history: PriceHistorySchema.nullable(),
}).openapi("PositionDetail");

const getOne = createRoute({
  method: "get",
  path: "/positions/{id}",
  tags: ["positions"],
  summary: "One position with its orders, exit decisions and price-history summary",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(PositionDetailSchema, "The position"), ...errorResponses(404) },
});

const ExitBody = z
  .object({
    percent: z.number().gt(0).max(100).default(100).openapi({ description: "share of what remains", example: 100 }),
  })
  .strict();

const ExitResultSchema = z
  .object({ position_id: z.string(), order_id: z.string().nullable(), amount: z.string(), percent: z.number() })
  .openapi("ManualExit");

const ExitHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE)
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "Makes the exit safe to retry: the same key (on this position, with the same percent) answers the first " +
        "request's order and sells nothing more (`Idempotent-Replayed: true`); the same key with another percent is 409.",
      example: "3f0c5a4e-8d1b-4c7e-9a55-1f2e3d4c5b6a",
    }),
});

const exitRoute = createRoute({
  method: "post",
  path: "/positions/{id}/exit",
  tags: ["positions"],
  summary: "Manual exit of part or all of a position (URGENT priority)",
  security: bearerSecurity,
  request: {
    params: IdParam,
    headers: ExitHeaders,
    body: { content: { "application/json": { schema: ExitBody } }, required: false },
  },
  responses: {
    202: {
      ...jsonContent(ExitResultSchema, "Exit queued (or, for a repeated Idempotency-Key, the first request's answer)"),
      headers: z.object({
        "Idempotent-Replayed": z
          .literal("true")
          .optional()
          .openapi({ description: "present when this answer repeats an earlier request with the same key" }),
      }),
    },
    ...errorResponses(400, 404, 409),
  },
});

const strategyRoute = createRoute({
  method: "patch",
  path: "/positions/{id}/strategy",
  tags: ["positions"],
  summary: "Replace the position's exit-strategy override (merged over its template)",
  security: bearerSecurity,
  request: {
    params: IdParam,
    body: {
      content: {
        "application/json": {
          schema: StrategyOverrideSchema,
          example: { stop_loss_percent: 25, trailing_stop_percent: 10 },
        },
      },
      required: true,
    },
  },
  responses: {
    200: jsonContent(z.object({ position_id: z.string(), rules: StrategyRulesSchema }), "The merged rules in force"),
    ...errorResponses(400, 404, 409),
  },
});

type Db = ReturnType<typeof getDb>;

async function mustGet(db: Db, id: string): Promise<PositionRow> {
  const p = await getPosition(db, id);
  if (!p) throw new ApiError("NotFound", `position ${id} not found`);
  return p;
}

function actFailed(r: { code: "not_found" | "closed" | "invalid" | "conflict"; detail: string }): never {
  if (r.code === "not_found") throw new ApiError("NotFound", r.detail);
  if (r.code === "closed" || r.code === "conflict") throw new ApiError("Conflict", r.detail);
  throw new ApiError("ValidationError", r.detail);
}

/**
 * A manual exit of `percent` of what remains, sent to the position's actor (URGENT priority).
 * Shared by the API route and the dashboard form; throws ApiError (NotFound, Conflict, ValidationError).
 * With an idempotency key the actor answers a repeat with the first answer (`replayed`), so the D1
 * "closed" shortcut is skipped: a retry of the exit that closed the position must still get its order.
 */
export async function requestManualExit(env: Env, id: string, percent: number, idempotencyKey?: string) {
  const db = getDb(env.DB);
  const p = await mustGet(db, id);
  if (p.status === "closed" && idempotencyKey === undefined)
    throw new ApiError("Conflict", `position ${id} is already closed`);
  const r = await env.POSITION_ACTOR.getByName(id).requestExit({ percent, idempotency_key: idempotencyKey });
  if (!r.ok && r.code === "closed" && p.status === "closed")
    throw new ApiError("Conflict", `position ${id} is already closed`);
  if (!r.ok) actFailed(r);
  return { position_id: id, order_id: r.order_id, amount: r.amount, percent, replayed: r.replayed };
}

export const positionsRouter = createRouter()
  .openapi(listPositions, async (c) => {
    const q = c.req.valid("query");
    const db = getDb(c.env.DB);
    const where: SQL[] = [];
    if (q.status === "closed") where.push(eq(positions.status, "closed"));
    if (q.status === "open") where.push(inArray(positions.status, ["open", "closing"]));
    if (q.wallet) where.push(eq(positions.source_wallet_address, q.wallet));
    if (q.mint) where.push(eq(positions.token_mint, q.mint));
    const cond = where.length ? and(...where) : undefined;
    const [items, total] = await Promise.all([
      db
        .select()
        .from(positions)
        .where(cond)
        .orderBy(desc(positions.opened_at), desc(positions.id))
        .limit(q.page_size)
        .offset((q.page - 1) * q.page_size)
        .all(),
      db.select({ n: sql<number>`count(*)` }).from(positions).where(cond).get(),
    ]);
    return c.json({ items: items.map(toApi), total: total?.n ?? 0, page: q.page, page_size: q.page_size }, 200);
  })
  .openapi(getOne, async (c) => {
    const { id } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const p = await mustGet(db, id);
    const [own, summary] = await Promise.all([
      db.select().from(orders).where(eq(orders.position_id, id)).orderBy(asc(orders.requested_at)).all(),
      c.env.POSITION_ACTOR.getByName(id).summary(),
    ]);
    return c.json(
      {
        ...toApi(p),
        rules: summary?.rules ?? null,
        poll_mode: summary?.poll_mode ?? null,
        last_error: summary?.last_error ?? null,
        stuck_exit: summary?.stuck_exit ?? null,
        exits: (summary?.exits ?? []) as Record<string, unknown>[],
        orders: own.map(({ last_valid_block_height: _l, ...o }) => o),
        price_history: summary?.price_history ?? null,
      },
      200,
    );
  })
  .openapi(exitRoute, async (c) => {
    const { id } = c.req.valid("param");
    // The body is optional: an empty one means "exit everything".
    const text = await c.req.text();
    let raw: unknown = {};
    if (text.trim()) {
      try {
        raw = JSON.parse(text);
      } catch {
        throw new ApiError("ValidationError", "body: not valid JSON");
      }
    }
    const parsed = ExitBody.safeParse(raw);
    if (!parsed.success)
      throw new ApiError(
        "ValidationError",
        parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      );
    const key = c.req.valid("header")["idempotency-key"];
    const { replayed, ...result } = await requestManualExit(c.env, id, parsed.data.percent, key);
    if (replayed) c.header("Idempotent-Replayed", "true");
    return c.json(result, 202);
  })
  .openapi(strategyRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = getDb(c.env.DB);
    const p = await mustGet(db, id);
    if (p.status === "closed") throw new ApiError("Conflict", `position ${id} is already closed`);
    const r = await c.env.POSITION_ACTOR.getByName(id).setStrategyOverride(body);
    if (!r.ok) actFailed(r);
    return c.json({ position_id: id, rules: r.rules }, 200);
  });
