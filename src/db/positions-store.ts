import { and, eq, gte, max, ne, sql } from "drizzle-orm";
import type { StrategyRules } from "../domain/exit-strategy";
import { rulesFromRow } from "../domain/exit-strategy";
import { bookExposure as exposureOf } from "../domain/exposure";
import type { Db } from "./client";
import { exitStrategies, type PositionRow, positions } from "./schema";

export type PositionInsert = typeof positions.$inferInsert;

/**
 * The upsert of the whole read-model row (the PositionActor is its one writer, DESIGN §1). A write from an
 * older state version than the row's (a late write of an evicted instance) changes nothing: never backwards,
 * and the same write twice is the same row.
 */
export function positionUpsert(db: Db, row: PositionInsert) {
  const { id: _id, created_at: _c, ...rest } = row;
  // A signal written behind (issue 10): its id is resolved from the signature once its row is in D1, and a
  // link made meanwhile (the signals insert trigger) is never written back to null.
  const signature = row.signal_id == null ? row.signal_signature : null;
  const values = signature
    ? { ...row, signal_id: sql<number>`(SELECT id FROM signals WHERE transaction_signature = ${signature})` }
    : row;
  return db
    .insert(positions)
    .values(values)
    .onConflictDoUpdate({
      target: positions.id,
      set: { ...rest, signal_id: sql`COALESCE(excluded.signal_id, ${positions.signal_id})` },
      setWhere: sql`excluded.state_version >= ${positions.state_version}`,
    });
}

export async function getPosition(db: Db, id: string): Promise<PositionRow | undefined> {
  return db.select().from(positions).where(eq(positions.id, id)).get();
}

/** The template a position uses: its strategy id, else the catalog default. */
export async function loadTemplate(
  db: Db,
  strategyId: number | null,
): Promise<{ id: number; rules: StrategyRules } | null> {
  const row =
    strategyId != null
      ? await db.select().from(exitStrategies).where(eq(exitStrategies.id, strategyId)).get()
      : await db.select().from(exitStrategies).where(eq(exitStrategies.is_default, true)).get();
  return row ? { id: row.id, rules: rulesFromRow(row) } : null;
}

/**
 * Open (and closing) positions and the USD still at risk in them, by the one domain definition
 * (src/domain/exposure.ts: entry cost of what remains). `queuedEntriesUsd`: entries queued but not filled.
 */
export async function bookExposure(
  db: Db,
  queuedEntriesUsd: readonly number[] = [],
): Promise<{ open_positions: number; exposure_usd: number }> {
  const rows = await db
    .select({
      entry_cost_usd: positions.entry_cost_usd,
      entry_amount: positions.entry_amount,
      current_amount: positions.current_amount,
    })
    .from(positions)
    .where(ne(positions.status, "closed"));
  return exposureOf(rows, queuedEntriesUsd);
}

/** Positions not closed as the SwapQueue's book seeds them (once, on its first use after an upgrade). */
export async function openPositionsForBook(db: Db) {
  return db
    .select({
      id: positions.id,
      entry_cost_usd: positions.entry_cost_usd,
      entry_amount: positions.entry_amount,
      current_amount: positions.current_amount,
    })
    .from(positions)
    .where(ne(positions.status, "closed"))
    .all();
}

/** Each mint's latest close since `sinceIso`, as the SwapQueue's book seeds its closes (the mint cooldown). */
export async function recentClosesForBook(db: Db, sinceIso: string) {
  return db
    .select({ token_mint: positions.token_mint, closed_at: max(positions.closed_at) })
    .from(positions)
    .where(and(eq(positions.status, "closed"), gte(positions.closed_at, sinceIso)))
    .groupBy(positions.token_mint)
    .all();
}
