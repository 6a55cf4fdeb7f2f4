import { desc } from "drizzle-orm";
import type { Db } from "./client";
import { circuitBreakerEvents } from "./schema";

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

/** Appends a trip or reset event with its metric and threshold snapshots; returns the new state. */
export async function recordBreakerEvent(
  db: Db,
  event: {
    event_type: "trip" | "reset";
    trigger: Trigger;
    reason: string;
    metrics?: Record<string, unknown>;
    thresholds?: Record<string, unknown>;
  },
) {
  return db
    .insert(circuitBreakerEvents)
    .values({
      event_type: event.event_type,
      trigger: event.trigger,
      reason: event.reason,
      metrics_snapshot: JSON.stringify(event.metrics ?? {}),
      thresholds_snapshot: JSON.stringify(event.thresholds ?? {}),
    })
    .returning()
    .get();
}
