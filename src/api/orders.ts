import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { ORDER_PRIORITIES, ORDER_SIDES, ORDER_STATUSES, orders, WALLET_MODES } from "../db/schema";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { requestManualExit } from "./positions";
import { createRouter } from "./router";

/** Read model of the swap orders (the SwapQueue is their one writer). */
export const OrderSchema = z
  .object({
    id: z.string(),
    idempotency_key: z.string(),
    position_id: z.string().nullable(),
    signal_id: z.number().int().nullable(),
    wallet_id: z.number().int().nullable(),
    token_mint: z.string(),
    side: z.enum(ORDER_SIDES),
    priority: z.enum(ORDER_PRIORITIES),
    mode: z.enum(WALLET_MODES),
    status: z.enum(ORDER_STATUSES),
    reason: z.string(),
    requested_amount: z.string().nullable(),
    requested_usd: z.number().nullable(),
    sell_fraction: z.number().nullable(),
    expected_price_usd: z.number().nullable(),
    expected_out_amount: z.string().nullable(),
    executed_price_usd: z.number().nullable(),
    executed_in_amount: z.string().nullable(),
    executed_out_amount: z.string().nullable(),
    executed_usd: z.number().nullable(),
    slippage_bps: z.number().nullable(),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    cancel_reason: z.string().nullable(),
    tx_signature: z.string().nullable(),
    quote_context_slot: z.number().int().nullable().openapi({
      description:
        "The Jupiter quote's contextSlot: live orders, and simulated fills priced by a quote (its price impact); null for a simulated fill priced with simulated_slippage_bps",
    }),
    landed_slot: z.number().int().nullable().openapi({ description: "Live only: the slot the swap landed in" }),
    priority_fee_lamports: z.number().int().nullable().openapi({ description: "Live only: priority fee paid" }),
    execution_duration_ms: z
      .number()
      .nullable()
      .openapi({ description: "The attempt that filled, from its start in the SwapQueue to the fill" }),
    scaling_level: z
      .number()
      .nullable()
      .openapi({ description: "scaling_out exits: the multiple of the level that fired (2 = the 2x level)" }),
    requested_at: z.string(),
    executed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Order");

const OrdersQuery = PageQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  side: z.enum(ORDER_SIDES).optional(),
  position_id: z.string().min(1).max(100).optional(),
});

const listOrders = createRoute({
  method: "get",
  path: "/orders",
  tags: ["orders"],
  summary: "Swap orders, newest first",
  security: bearerSecurity,
  request: { query: OrdersQuery },
  responses: { 200: jsonContent(pageOf(OrderSchema, "OrderPage"), "A page of orders"), ...errorResponses(400) },
});

const DeadLetterSchema = z
  .object({
    order_id: z.string(),
    idempotency_key: z.string(),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    died_at: z.string(),
  })
  .openapi("DeadLetter");

const QueueStatusSchema = z
  .object({
    depth: z.record(z.string(), z.number().int()),
    pending: z.number().int(),
    next_run_at: z.string().nullable(),
    last_execution_at: z.string().nullable(),
    dead_letters: z.array(DeadLetterSchema),
    owed: z
      .array(
        z.object({
          order_id: z.string(),
          step: z.string(),
          attempts: z.number().int(),
          last_error: z.string().nullable(),
          next_attempt_at: z.string(),
        }),
      )
      .openapi({ description: "Steps an outcome still owes (D1 row, position open/fill/release), being retried" }),
  })
  .openapi("SwapQueueStatus");

const queueStatus = createRoute({
  method: "get",
  path: "/swap-queue",
  tags: ["orders"],
  summary: "Swap queue depth per priority, next run and dead letters",
  security: bearerSecurity,
  responses: { 200: jsonContent(QueueStatusSchema, "The queue"), ...errorResponses() },
});

const DeadLetterParam = z.object({
  order_id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "order_id", in: "path" }, example: "0f8fad5b-d9cb-469f-a165-70867728950e" }),
});

const retryRoute = (path: string) =>
  createRoute({
    method: "post",
    path,
    tags: ["orders"],
    summary: "Retry a dead SELL as a new exit of the same share of what the position still holds",
    description:
      "A dead order is never revived (its D1 row stays `dead`, its release already ran): a dead SELL is retried as " +
      "a new manual exit of the position, idempotent per dead letter (a second retry answers the same order), and " +
      "the dead letter is then removed. A dead BUY is refused (409): the leader's trade it copied is too old to " +
      "enter at its price; discard it instead.",
    security: bearerSecurity,
    request: { params: DeadLetterParam },
    responses: {
      200: jsonContent(
        z
          .object({
            order_id: z.string().openapi({ description: "The dead order" }),
            retried_as: z
              .string()
              .nullable()
              .openapi({ description: "The new exit order (null when nothing was left to sell)" }),
            position_id: z.string(),
            percent: z.number(),
            replayed: z.boolean().openapi({ description: "true when this dead letter was already retried" }),
          })
          .openapi("DeadLetterRetried"),
        "Retried as a new exit",
      ),
      ...errorResponses(400, 404, 409),
    },
  });
const retryDeadLetter = retryRoute("/swap-queue/dead-letters/{order_id}/retry");
/** The same, under the orders (issue 11's names): live and simulated dead letters alike. */
const retryOrder = retryRoute("/orders/{order_id}/retry");

const discardRoute = (path: string) =>
  createRoute({
    method: "post",
    path,
    tags: ["orders"],
    summary: "Discard a dead letter (the order stays dead in D1; only the record leaves the list)",
    security: bearerSecurity,
    request: { params: DeadLetterParam },
    responses: {
      200: jsonContent(
        z.object({ order_id: z.string(), discarded: z.literal(true) }).openapi("DeadLetterDiscarded"),
        "Discarded",
      ),
      ...errorResponses(400, 404),
    },
  });
const discardDeadLetter = discardRoute("/swap-queue/dead-letters/{order_id}/discard");
const discardOrder = discardRoute("/orders/{order_id}/discard");

const listDeadLetters = createRoute({
  method: "get",
  path: "/orders/dead-letters",
  tags: ["orders"],
  summary: "Dead letters (orders that exhausted their retries or failed terminally), newest first",
  security: bearerSecurity,
  responses: {
    200: jsonContent(z.object({ items: z.array(DeadLetterSchema) }).openapi("DeadLetterList"), "The dead letters"),
    ...errorResponses(),
  },
});

/** A dead SELL retried as a new exit of its position (see retryRoute); a dead BUY is refused. */
async function retryDead(env: Env, order_id: string) {
  const queue = env.SWAP_QUEUE.getByName("default");
  const dead = await queue.deadLetter(order_id);
  if (!dead) throw new ApiError("NotFound", `no dead letter for order ${order_id}`);
  const req = dead.request;
  if (req.side !== "sell" || !req.position_id)
    throw new ApiError(
      "Conflict",
      `order ${order_id} is a dead ${req.side.toUpperCase()}: an entry is not retried (the leader's trade is too old to copy at its price); discard it`,
    );
  const percent = Math.min(100, Math.max(0.01, Math.round((req.sell_fraction ?? 1) * 10000) / 100));
  // The key names the dead letter: a retry repeated (double click, lost answer) asks for the same exit.
  const r = await requestManualExit(env, req.position_id, percent, `dead-letter-retry:${order_id}`);
  // Only once the new exit is persisted: a crash before this leaves the letter listed, and a retry replays.
  await queue.discardDeadLetter(order_id);
  log.info("dead_letter_retried", { order_id, retried_as: r.order_id, replayed: r.replayed });
  return { order_id, retried_as: r.order_id, position_id: req.position_id, percent, replayed: r.replayed };
}

async function discardDead(env: Env, order_id: string) {
  if (!(await env.SWAP_QUEUE.getByName("default").discardDeadLetter(order_id)))
    throw new ApiError("NotFound", `no dead letter for order ${order_id}`);
  return { order_id, discarded: true as const };
}

export const ordersRouter = createRouter()
  .openapi(retryDeadLetter, async (c) => c.json(await retryDead(c.env, c.req.valid("param").order_id), 200))
  .openapi(discardDeadLetter, async (c) => c.json(await discardDead(c.env, c.req.valid("param").order_id), 200))
  .openapi(retryOrder, async (c) => c.json(await retryDead(c.env, c.req.valid("param").order_id), 200))
  .openapi(discardOrder, async (c) => c.json(await discardDead(c.env, c.req.valid("param").order_id), 200))
  .openapi(listDeadLetters, async (c) => {
    const s = await c.env.SWAP_QUEUE.getByName("default").status();
    return c.json({ items: s.dead_letters }, 200);
  })
  .openapi(queueStatus, async (c) => {
    const s = await c.env.SWAP_QUEUE.getByName("default").status();
    return c.json(
      {
        depth: s.depth,
        pending: s.pending,
        next_run_at: s.next_run_at,
        last_execution_at: s.last_execution_at,
        dead_letters: s.dead_letters,
        owed: s.owed.map((o) => ({
          order_id: o.order_id,
          step: o.step,
          attempts: o.attempts,
          last_error: o.last_error,
          next_attempt_at: o.next_attempt_at,
        })),
      },
      200,
    );
  })
  .openapi(listOrders, async (c) => {
    const q = c.req.valid("query");
    const db = getDb(c.env.DB);
    const where: SQL[] = [];
    if (q.status) where.push(eq(orders.status, q.status));
    if (q.side) where.push(eq(orders.side, q.side));
    if (q.position_id) where.push(eq(orders.position_id, q.position_id));
    const cond = where.length ? and(...where) : undefined;
    const [items, total] = await Promise.all([
      db
        .select()
        .from(orders)
        .where(cond)
        .orderBy(desc(orders.requested_at), desc(orders.id))
        .limit(q.page_size)
        .offset((q.page - 1) * q.page_size)
        .all(),
      db.select({ n: sql<number>`count(*)` }).from(orders).where(cond).get(),
    ]);
    const page = items.map(({ last_valid_block_height: _l, ...o }) => o);
    return c.json({ items: page, total: total?.n ?? 0, page: q.page, page_size: q.page_size }, 200);
  });
