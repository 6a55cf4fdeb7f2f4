import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { getWalletRow } from "../db/portfolio-store";
import { scheduledFunding } from "../db/schema";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { cachedRecords, fundingFreshness, fundingView, staleSecondsOf } from "./portfolio-records";
import {
  cached,
  cachedList,
  FundingListQuery,
  ScheduledFundingSchema,
  ScheduleFundingSchema,
  ScheduleIdParam,
} from "./portfolio-schemas";
import { createRouter } from "./router";

const tags = ["portfolio"];
const security = bearerSecurity;

const CachedFunding = cached(ScheduledFundingSchema, "CachedScheduledFunding");

const listScheduled = createRoute({
  method: "get",
  path: "/wallets/funding/scheduled",
  tags,
  security,
  summary: "Scheduled fundings, soonest first (filter by status and wallet)",
  request: { query: FundingListQuery },
  responses: {
    200: jsonContent(
      cachedList(ScheduledFundingSchema, "CachedScheduledFundingList"),
      "Records kept in D1 (the source of truth, never stale)",
    ),
    ...errorResponses(400),
  },
});

const schedule = createRoute({
  method: "post",
  path: "/wallets/funding/schedule",
  tags,
  security,
  summary: "Schedule a SOL funding of a portfolio wallet",
  request: { body: { content: { "application/json": { schema: ScheduleFundingSchema } }, required: true } },
  responses: {
    201: jsonContent(CachedFunding, "Scheduled"),
    ...errorResponses(400, 404, 422),
  },
});

const cancel = createRoute({
  method: "delete",
  path: "/wallets/funding/{schedule_id}",
  tags,
  security,
  summary: "Cancel a scheduled funding that has not been executed yet",
  request: { params: ScheduleIdParam },
  responses: {
    200: jsonContent(CachedFunding, "Cancelled"),
    ...errorResponses(400, 404, 409),
  },
});

export const portfolioFundingRouter = createRouter()
  .openapi(listScheduled, async (c) => {
    const q = c.req.valid("query");
    const db = getDb(c.env.DB);
    const where: SQL[] = [];
    if (q.status) where.push(eq(scheduledFunding.status, q.status));
    if (q.wallet_address) where.push(eq(scheduledFunding.wallet_address, q.wallet_address));
    const rows = await db
      .select()
      .from(scheduledFunding)
      .where(where.length ? and(...where) : undefined)
      .orderBy(asc(scheduledFunding.scheduled_for), asc(scheduledFunding.created_at));
    const staleSeconds = await staleSecondsOf(db);
    return c.json(cachedRecords(rows.map(fundingView), rows.map(fundingFreshness), staleSeconds), 200);
  })
  .openapi(schedule, async (c) => {
    const body = c.req.valid("json");
    const db = getDb(c.env.DB);
    const wallet = await getWalletRow(db, body.wallet_address);
    if (!wallet) throw new ApiError("NotFound", `wallet ${body.wallet_address} is not in the portfolio`);
    if (wallet.status === "ARCHIVED")
      throw new ApiError("RuleRefused", `wallet ${body.wallet_address} is archived: unarchive it before funding it`);
    const now = nowIso();
    if (body.scheduled_for <= now)
      throw new ApiError("RuleRefused", `scheduled_for must be in the future (got ${body.scheduled_for}, now ${now})`);
    if (body.source_wallet === body.wallet_address)
      throw new ApiError("RuleRefused", "source_wallet and wallet_address are the same wallet");
    const [row] = await db
      .insert(scheduledFunding)
      .values({
        id: crypto.randomUUID(),
        wallet_address: body.wallet_address,
        amount_sol: body.amount_sol,
        scheduled_for: body.scheduled_for,
        source_wallet: body.source_wallet ?? null,
        notes: body.notes ?? null,
        created_at: now,
        updated_at: now,
      })
      .returning();
    log.info("portfolio_funding_scheduled", { id: row?.id, wallet: body.wallet_address, amount_sol: body.amount_sol });
    const created = row as NonNullable<typeof row>;
    return c.json(cachedRecords(fundingView(created), [fundingFreshness(created)], await staleSecondsOf(db)), 201);
  })
  .openapi(cancel, async (c) => {
    const { schedule_id } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const now = nowIso();
    // One conditional UPDATE: a funding being executed concurrently cannot also be cancelled.
    const [row] = await db
      .update(scheduledFunding)
      .set({ status: "cancelled", cancelled_at: now, updated_at: now })
      .where(and(eq(scheduledFunding.id, schedule_id), eq(scheduledFunding.status, "scheduled")))
      .returning();
    if (!row) {
      const existing = await db.select().from(scheduledFunding).where(eq(scheduledFunding.id, schedule_id)).get();
      if (!existing) throw new ApiError("NotFound", `no scheduled funding ${schedule_id}`);
      throw new ApiError(
        "Conflict",
        `scheduled funding ${schedule_id} is ${existing.status}: only a scheduled one can be cancelled`,
      );
    }
    log.info("portfolio_funding_cancelled", { id: schedule_id, wallet: row.wallet_address });
    return c.json(cachedRecords(fundingView(row), [fundingFreshness(row)], await staleSecondsOf(db)), 200);
  });
