import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq, sql } from "drizzle-orm";
import { blockedWhileOpen, breakerState, recordBreakerEvent } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { bookExposure } from "../db/positions-store";
import { circuitBreakerEvents, positions } from "../db/schema";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

/** Manual trip and reset of the circuit breaker (ADR-004): each one an immutable event with snapshots. */
const EventSchema = z
  .object({
    id: z.number().int(),
    event_type: z.enum(["trip", "reset"]),
    trigger: z.string(),
    reason: z.string().nullable(),
    metrics_snapshot: z.record(z.string(), z.unknown()),
    thresholds_snapshot: z.record(z.string(), z.unknown()),
    open_position_count: z.number().int(),
    open_positions: z
      .array(z.record(z.string(), z.unknown()))
      .openapi({ description: "The positions open at the moment of the event" }),
    new_positions_blocked: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "On a reset: new entries blocked while the breaker was open" }),
    created_at: z.string(),
  })
  .openapi("CircuitBreakerEvent");

const StateSchema = z
  .object({
    open: z.boolean(),
    since: z.string().nullable(),
    trigger: z.string().nullable(),
    reason: z.string().nullable(),
    last_event_id: z.number().int().nullable(),
    blocks: z.string(),
    new_positions_blocked: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "While open: new entries blocked so far (null when closed)" }),
    recent_events: z.array(EventSchema),
  })
  .openapi("CircuitBreakerState");

const ReasonBody = z
  .object({ reason: z.string().trim().min(1).max(500).openapi({ example: "manual pause during an incident" }) })
  .strict();

const getState = createRoute({
  method: "get",
  path: "/circuit-breaker",
  tags: ["circuit-breaker"],
  summary: "Circuit-breaker state and recent trip/reset events",
  security: bearerSecurity,
  responses: { 200: jsonContent(StateSchema, "State and the last 20 events"), ...errorResponses() },
});

const activate = createRoute({
  method: "post",
  path: "/circuit-breaker/activate",
  tags: ["circuit-breaker"],
  summary: "Trip the breaker manually: new entries are blocked, exits keep running",
  security: bearerSecurity,
  request: { body: { content: { "application/json": { schema: ReasonBody } }, required: true } },
  responses: { 200: jsonContent(StateSchema, "The breaker, now open"), ...errorResponses(400, 409) },
});

const deactivate = createRoute({
  method: "post",
  path: "/circuit-breaker/deactivate",
  tags: ["circuit-breaker"],
  summary: "Reset the breaker manually",
  security: bearerSecurity,
  request: { body: { content: { "application/json": { schema: ReasonBody } }, required: true } },
  responses: { 200: jsonContent(StateSchema, "The breaker, now closed"), ...errorResponses(400, 409) },
});

type Db = ReturnType<typeof getDb>;

async function stateWithEvents(db: Db) {
  const state = await breakerState(db);
  const events = await db.select().from(circuitBreakerEvents).orderBy(desc(circuitBreakerEvents.id)).limit(20).all();
  return {
    ...state,
    blocks: state.open ? "new entries (NORMAL priority); exits keep running" : "nothing",
    new_positions_blocked: await blockedWhileOpen(db),
    recent_events: events.map((e) => ({
      ...e,
      open_positions: JSON.parse(e.open_positions) as Record<string, unknown>[],
      metrics_snapshot: JSON.parse(e.metrics_snapshot) as Record<string, unknown>,
      thresholds_snapshot: JSON.parse(e.thresholds_snapshot) as Record<string, unknown>,
    })),
  };
}

/** What the operator saw when acting: open positions, realized PnL and the trip thresholds. */
async function snapshots(db: Db) {
  // The exposure the caps use (src/domain/exposure.ts: cost of what remains), not a third definition.
  const book = await bookExposure(db);
  const open = { n: book.open_positions, exposure: book.exposure_usd };
  const closed = await db
    .select({
      n: sql<number>`count(*)`,
      realized: sql<number>`coalesce(sum(${positions.realized_pnl_usd}), 0)`,
      wins: sql<number>`coalesce(sum(case when ${positions.realized_pnl_usd} > 0 then 1 else 0 end), 0)`,
    })
    .from(positions)
    .where(eq(positions.status, "closed"))
    .get();
  const cfg = await loadConfig(db);
  return {
    metrics: {
      open_positions: open?.n ?? 0,
      open_exposure_usd: open?.exposure ?? 0,
      closed_positions: closed?.n ?? 0,
      realized_pnl_usd: closed?.realized ?? 0,
      win_rate_percent: closed?.n ? ((closed.wins ?? 0) / closed.n) * 100 : null,
      capital_usd: cfg.capital_usd,
    },
    thresholds: {
      max_drawdown_percent: cfg.max_drawdown_percent,
      min_win_rate_percent: cfg.min_win_rate_percent,
      win_rate_window: cfg.win_rate_window,
      consecutive_loss_limit: cfg.consecutive_loss_limit,
    },
  };
}

/** Manual trip (API and dashboard): Conflict when already open. `reason` must be trimmed and non-empty. */
export async function tripBreakerManually(db: Db, reason: string) {
  if ((await breakerState(db)).open) throw new ApiError("Conflict", "the circuit breaker is already open");
  const snap = await snapshots(db);
  // The insert itself re-checks the state: of two concurrent activations one gets 409.
  if (!(await recordBreakerEvent(db, { event_type: "trip", trigger: "manual", reason, ...snap })))
    throw new ApiError("Conflict", "the circuit breaker is already open");
  log.warn("circuit_breaker_tripped", { trigger: "manual", reason });
}

/** Manual reset (API and dashboard): Conflict when not open. */
export async function resetBreakerManually(db: Db, reason: string) {
  if (!(await breakerState(db)).open) throw new ApiError("Conflict", "the circuit breaker is not open");
  const snap = await snapshots(db);
  if (!(await recordBreakerEvent(db, { event_type: "reset", trigger: "manual", reason, ...snap })))
    throw new ApiError("Conflict", "the circuit breaker is not open");
  log.info("circuit_breaker_reset", { trigger: "manual", reason });
}

export const circuitBreakerRouter = createRouter()
  .openapi(getState, async (c) => c.json(await stateWithEvents(getDb(c.env.DB)), 200))
  .openapi(activate, async (c) => {
    const db = getDb(c.env.DB);
    await tripBreakerManually(db, c.req.valid("json").reason);
    return c.json(await stateWithEvents(db), 200);
  })
  .openapi(deactivate, async (c) => {
    const db = getDb(c.env.DB);
    await resetBreakerManually(db, c.req.valid("json").reason);
    return c.json(await stateWithEvents(db), 200);
  });
