import { and, asc, desc, eq, gt, ne, sql } from "drizzle-orm";
import { type BreakerThresholds, evaluateBreaker } from "../domain/circuit-breaker-rules";
import { log } from "../lib/logger";
import { raiseAlert } from "./alerts";
import type { Db } from "./client";
import { circuitBreakerEvents, positions } from "./schema";

/** The breaker's state is its latest event (the log is immutable, DESIGN §4 / ADR-004). */
export interface BreakerState {
  open: boolean;
  since: string | null;
  trigger: string | null;
  reason: string | null;
  last_event_id: number | null;
}

export async function breakerState(db: Db): Promise<BreakerState> {
  const last = await db.select().from(circuitBreakerEvents).orderBy(desc(circuitBreakerEvents.id)).limit(1).get();
  if (!last) return { open: false, since: null, trigger: null, reason: null, last_event_id: null };
  return {
    open: last.event_type === "trip",
    since: last.created_at,
    trigger: last.trigger,
    reason: last.reason,
    last_event_id: last.id,
  };
}

type Trigger = (typeof circuitBreakerEvents.$inferInsert)["trigger"];

/**
 * Appends a trip or reset event with its metric and threshold snapshots — only if it changes the state
 * (a trip while closed, a reset while open). One conditional INSERT … SELECT, so two concurrent trips
 * (two positions closing at once, two operators clicking) write one event. Returns null when the breaker
 * was already in the wanted state.
 */
export async function recordBreakerEvent(
  db: Db,
  event: {
    event_type: "trip" | "reset";
    trigger: Trigger;
    reason: string;
    metrics?: Record<string, unknown>;
    thresholds?: Record<string, unknown>;
  },
): Promise<typeof circuitBreakerEvents.$inferSelect | null> {
  // The open positions and (on a reset) the blocked count are read by the same statement that writes the
  // event, so they are exactly the state at that moment, for manual and automatic events alike.
  const rows = await db.all<typeof circuitBreakerEvents.$inferSelect>(sql`
    INSERT INTO circuit_breaker_events (event_type, "trigger", reason, metrics_snapshot, thresholds_snapshot,
                                        open_position_count, open_positions, new_positions_blocked)
    SELECT ${event.event_type}, ${event.trigger}, ${event.reason},
           ${JSON.stringify(event.metrics ?? {})}, ${JSON.stringify(event.thresholds ?? {})},
           (SELECT count(*) FROM positions WHERE status != 'closed'),
           ${OPEN_POSITIONS_JSON},
           ${event.event_type === "reset" ? BLOCKED_SINCE_TRIP : sql`NULL`}
    WHERE COALESCE((SELECT event_type FROM circuit_breaker_events ORDER BY id DESC LIMIT 1), 'reset') != ${event.event_type}
    RETURNING *`);
  const recorded = rows[0] ?? null;
  if (recorded) await breakerAlert(db.$client, recorded);
  return recorded;
}

/** Each trip and reset is an alert (issue 12), keyed by its event id; the monitor re-sweeps missed ones. */
export async function breakerAlert(d1: D1Database, e: typeof circuitBreakerEvents.$inferSelect) {
  try {
    await raiseAlert(d1, {
      kind: e.event_type === "trip" ? "breaker_tripped" : "breaker_reset",
      subject: `event:${e.id}`,
      message:
        e.event_type === "trip"
          ? `circuit breaker tripped (${e.trigger}): ${e.reason ?? ""}; new entries blocked`
          : `circuit breaker reset (${e.trigger}): ${e.reason ?? ""}; entries resume`,
      detail: { event_id: e.id, trigger: e.trigger },
    });
    // A reset ends the trip: its alert is resolved, not left for the operator to clean up.
    if (e.event_type === "reset")
      await d1
        .prepare(
          "UPDATE alerts SET status = 'resolved', resolved_at = ?1, resolved_by = 'breaker_reset' WHERE kind = 'breaker_tripped' AND status != 'resolved'",
        )
        .bind(e.created_at)
        .run();
  } catch (err) {
    // The event is the truth and is already written; the hourly monitor raises what this missed.
    log.warn("alert_raise_failed", { kind: "breaker", event_id: e.id, error: String(err) });
  }
}

const OPEN_POSITIONS_JSON = sql`(SELECT COALESCE(json_group_array(json_object(
    'id', id, 'token_mint', token_mint, 'source_wallet_address', source_wallet_address, 'mode', mode,
    'entry_cost_usd', entry_cost_usd, 'unrealized_pnl_usd', unrealized_pnl_usd, 'opened_at', opened_at)), '[]')
  FROM (SELECT * FROM positions WHERE status != 'closed' ORDER BY opened_at, id))`;

/**
 * New entries blocked since the latest trip, each counted once: signals filtered `circuit_breaker` by the
 * WalletActor, and entry orders the SwapQueue cancelled `circuit_breaker` (at enqueue or at execution; the
 * queue marks their signal too, so the union is keyed by signal). Read from D1 when asked rather than kept
 * as a counter in an actor: nothing is lost when an actor is evicted or a write is retried.
 */
const BLOCKED_SINCE_TRIP = sql`(
  WITH trip AS (SELECT created_at AS at FROM circuit_breaker_events WHERE event_type = 'trip' ORDER BY id DESC LIMIT 1)
  SELECT count(*) FROM (
    SELECT 's' || s.id FROM signals s, trip
      WHERE s.filter_reason = 'circuit_breaker' AND COALESCE(s.processed_at, s.webhook_received_at) >= trip.at
    UNION
    SELECT COALESCE('s' || o.signal_id, 'o' || o.id) FROM orders o, trip
      WHERE o.cancel_reason = 'circuit_breaker' AND o.updated_at >= trip.at))`;

/** While the breaker is open: how many new entries it has blocked so far (null when closed). */
export async function blockedWhileOpen(db: Db): Promise<number | null> {
  if (!(await breakerState(db)).open) return null;
  const row = await db.get<{ n: number }>(sql`SELECT ${BLOCKED_SINCE_TRIP} AS n`);
  return row?.n ?? 0;
}

/**
 * Evaluates the automatic rules on the trades closed since the last reset and trips the breaker
 * (one immutable event with metric and threshold snapshots) when one fires. Safe to call often:
 * an already-open breaker is left as it is.
 */
export async function checkBreakerRules(db: Db, cfg: BreakerThresholds) {
  const state = await breakerState(db);
  if (state.open) return { tripped: false, already_open: true as const };
  const lastReset = await db
    .select({ created_at: circuitBreakerEvents.created_at })
    .from(circuitBreakerEvents)
    .where(eq(circuitBreakerEvents.event_type, "reset"))
    .orderBy(desc(circuitBreakerEvents.id))
    .limit(1)
    .get();
  const since = lastReset?.created_at ?? "";
  const closed = await db
    .select({ pnl: positions.total_pnl_usd })
    .from(positions)
    .where(and(eq(positions.status, "closed"), gt(positions.closed_at, since)))
    .orderBy(asc(positions.closed_at))
    .all();
  const open = await db
    .select({ unrealized: sql<number>`COALESCE(SUM(${positions.unrealized_pnl_usd}), 0)` })
    .from(positions)
    .where(ne(positions.status, "closed"))
    .get();
  const decision = evaluateBreaker(
    closed.map((c) => c.pnl),
    open?.unrealized ?? 0,
    cfg,
  );
  if (!decision.trip || !decision.trigger) return { tripped: false, metrics: decision.metrics };
  const event = await recordBreakerEvent(db, {
    event_type: "trip",
    trigger: decision.trigger,
    reason: decision.reason ?? decision.trigger,
    metrics: { ...decision.metrics },
    thresholds: { ...cfg },
  });
  // null: another caller tripped it between our read and this write — one event, not two.
  return event ? { tripped: true, event, metrics: decision.metrics } : { tripped: false, already_open: true as const };
}
