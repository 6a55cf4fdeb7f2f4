import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, getTableColumns, gte, type SQL, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { PERFORMANCE_PERIODS, SIGNAL_TYPES, signals } from "../db/schema";
import { effectiveSignal } from "../db/signal-outcomes";
import { FILTER_REASONS } from "../domain/signal-filters";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf, queryBool } from "./common";
import { createRouter } from "./router";

const SignalSchema = z
  .object({
    id: z.number().int(),
    transaction_signature: z.string(),
    wallet_id: z.number().int().nullable(),
    wallet_address: z.string(),
    signal_type: z.enum(SIGNAL_TYPES),
    token_mint: z.string().nullable(),
    quote_mint: z.string().nullable(),
    token_amount: z.string().nullable().openapi({ description: "Base units (integer text)" }),
    token_decimals: z.number().int().nullable(),
    quote_amount: z.string().nullable(),
    sol_amount: z.number().nullable(),
    usd_amount: z.number().nullable(),
    price_sol: z.number().nullable(),
    price_usd: z.number().nullable(),
    leader_balance_before: z.string().nullable(),
    helius_type: z.string().nullable(),
    helius_source: z.string().nullable(),
    slot: z.number().int().nullable(),
    block_time: z.string().nullable(),
    filtered: z.boolean(),
    filter_reason: z.string().nullable(),
    filter_detail: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({
        description:
          "The numbers the decision was taken on, as they were then: the failed check's value and limit " +
          "(safety inputs and thresholds, signal age and limit, leader size and range, exposure and caps)",
      }),
    safety_score: z.number().nullable(),
    entry_usd: z.number().nullable(),
    order_id: z.string().nullable(),
    webhook_received_at: z.string(),
    processed_at: z.string().nullable(),
    processing_duration_ms: z.number().nullable(),
    created_at: z.string(),
  })
  .openapi("Signal");

const SignalDetailSchema = SignalSchema.extend({
  raw_payload: z.unknown().openapi({ description: "The enhanced transaction as Helius delivered it" }),
}).openapi("SignalDetail");

const WINDOW_MS: Record<(typeof PERFORMANCE_PERIODS)[number], number | null> = {
  all: null,
  "30d": 30 * 86_400_000,
  "7d": 7 * 86_400_000,
  "24h": 86_400_000,
};

const ListQuery = PageQuery.extend({
  wallet: z.string().min(1).max(64).optional().openapi({ description: "Watched wallet address or id" }),
  type: z.enum(SIGNAL_TYPES).optional(),
  filtered: queryBool.optional(),
  filter_reason: z.enum(FILTER_REASONS).optional(),
  window: z.enum(PERFORMANCE_PERIODS).default("all"),
});

const listSignals = createRoute({
  method: "get",
  path: "/signals",
  tags: ["signals"],
  summary: "Signals received from watched wallets, newest first",
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: { 200: jsonContent(pageOf(SignalSchema, "SignalPage"), "A page of signals"), ...errorResponses(400) },
});

const getSignal = createRoute({
  method: "get",
  path: "/signals/{id}",
  tags: ["signals"],
  summary: "One signal with its raw payload",
  security: bearerSecurity,
  request: { params: z.object({ id: z.coerce.number().int().positive() }) },
  responses: { 200: jsonContent(SignalDetailSchema, "The signal"), ...errorResponses(400, 404) },
});

const { raw_payload: _raw, ...storedColumns } = getTableColumns(signals);
// The stored decision with the queue's later refusal folded in (signals are append-only, issue 16).
const listColumns = { ...storedColumns, ...effectiveSignal };

/** `filter_detail` is stored as JSON text; a row written before it existed (or unreadable) answers null. */
function withDetail<T extends { filter_detail: string | null }>(
  row: T,
): Omit<T, "filter_detail"> & { filter_detail: Record<string, unknown> | null } {
  let detail: Record<string, unknown> | null = null;
  try {
    const v = row.filter_detail ? JSON.parse(row.filter_detail) : null;
    detail = v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    detail = null;
  }
  return { ...row, filter_detail: detail };
}

export const signalsRouter = createRouter()
  .openapi(listSignals, async (c) => {
    const q = c.req.valid("query");
    const db = getDb(c.env.DB);
    const where: SQL[] = [];
    if (q.wallet !== undefined)
      where.push(
        /^\d+$/.test(q.wallet) ? eq(signals.wallet_id, Number(q.wallet)) : eq(signals.wallet_address, q.wallet),
      );
    if (q.type) where.push(eq(signals.signal_type, q.type));
    if (q.filtered !== undefined) where.push(sql`${effectiveSignal.filtered} = ${q.filtered ? 1 : 0}`);
    if (q.filter_reason) where.push(sql`${effectiveSignal.filter_reason} = ${q.filter_reason}`);
    const span = WINDOW_MS[q.window];
    if (span !== null) where.push(gte(signals.created_at, new Date(Date.now() - span).toISOString()));
    const cond = where.length ? and(...where) : undefined;
    const [items, total] = await Promise.all([
      db
        .select(listColumns)
        .from(signals)
        .where(cond)
        .orderBy(desc(signals.created_at), desc(signals.id))
        .limit(q.page_size)
        .offset((q.page - 1) * q.page_size),
      db.select({ n: count() }).from(signals).where(cond).get(),
    ]);
    return c.json({ items: items.map(withDetail), total: total?.n ?? 0, page: q.page, page_size: q.page_size }, 200);
  })
  .openapi(getSignal, async (c) => {
    const { id } = c.req.valid("param");
    const row = await getDb(c.env.DB)
      .select({ ...getTableColumns(signals), ...effectiveSignal })
      .from(signals)
      .where(eq(signals.id, id))
      .get();
    if (!row) throw new ApiError("NotFound", `no signal ${id}`);
    let raw: unknown = row.raw_payload;
    try {
      raw = JSON.parse(row.raw_payload);
    } catch {
      // kept as text: it was stored verbatim
    }
    return c.json({ ...withDetail(row), raw_payload: raw }, 200);
  });
