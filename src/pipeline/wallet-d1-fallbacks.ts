// The WalletActor's D1 reads, each a slow path behind actor state: the trade log seeded once for an actor that
// predates it, and the copy facts / open copies when the SwapQueue's book cannot answer (not loaded yet, or
// positions older than the book).
import { and, asc, eq, isNull, lte, ne, or, sql } from "drizzle-orm";
import type { getDb } from "../db/client";
import { bookExposure } from "../db/positions-store";
import { positions, signals } from "../db/schema";
import type { LoggedTrade, SignalLog } from "./signal-log";

type Db = ReturnType<typeof getDb>;

/**
 * The trade log copied from D1 once (an actor that existed before it), the only D1 read it needs; a failure
 * fails the step, retried like any other.
 */
export async function seedTradesFromD1(trades: SignalLog, db: Db, address: string) {
  if (trades.seeded()) return;
  const rows = await tradesFromD1(db, address);
  if (trades.seeded()) return;
  trades.seed(rows);
}

/** This leader's classified trades as D1's signals hold them, in insertion order, for SignalLog.seed. */
export async function tradesFromD1(db: Db, address: string): Promise<Omit<LoggedTrade, "seq">[]> {
  const rows = await db
    .select({
      signature: signals.transaction_signature,
      type: signals.signal_type,
      mint: signals.token_mint,
      amount: signals.token_amount,
      slot: signals.slot,
      block_time: signals.block_time,
      received: signals.webhook_received_at,
      entry_usd: signals.entry_usd,
      order_id: signals.order_id,
      filtered: signals.filtered,
    })
    .from(signals)
    .where(and(eq(signals.wallet_address, address), ne(signals.signal_type, "other")))
    .orderBy(asc(signals.id));
  return rows.flatMap((r) =>
    r.mint && (r.type === "buy" || r.type === "sell")
      ? [
          {
            signature: r.signature,
            type: r.type,
            mint: r.mint,
            amount: r.amount,
            slot: r.slot,
            block_time_ms: r.block_time ? Date.parse(r.block_time) : null,
            received_ms: r.received ? Date.parse(r.received) : 0,
            entry_usd: r.filtered ? null : r.entry_usd,
            order_id: r.order_id,
          },
        ]
      : [],
  );
}

export async function lastExitFromD1(db: Db, mint: string): Promise<number | null> {
  const r = await db.get<{ t: string | null }>(sql`
      SELECT MAX(closed_at) AS t FROM positions WHERE token_mint = ${mint} AND status = 'closed'`);
  return r?.t ? Date.parse(r.t) : null;
}

/** The D1 facts (the SwapQueue's book not loaded yet: its first use after an upgrade). */
export async function copyFactsFromD1(db: Db, address: string, mint: string, signature: string) {
  const q = async <T>(query: ReturnType<typeof sql>) => (await db.run(query)).results[0] as T | undefined;
  const firstPosition = await q<{ usd: number }>(sql`
      SELECT entry_cost_usd AS usd FROM positions
      WHERE source_wallet_address = ${address} AND token_mint = ${mint} ORDER BY opened_at LIMIT 1`);
  const firstSignal = firstPosition
    ? undefined
    : await q<{ usd: number }>(sql`
      SELECT s.entry_usd AS usd FROM signals s LEFT JOIN orders o ON o.id = s.order_id
      WHERE s.wallet_address = ${address} AND s.token_mint = ${mint} AND s.signal_type = 'buy'
        AND s.entry_usd IS NOT NULL AND s.filtered = 0 AND s.transaction_signature != ${signature}
        AND (o.id IS NULL OR o.status NOT IN ('failed', 'cancelled', 'dead'))
      ORDER BY s.id LIMIT 1`);
  const queued = await db.run(sql`
      SELECT requested_usd AS usd FROM orders WHERE side = 'buy' AND status IN ('pending', 'executing', 'submitted')`);
  // The same exposure the SwapQueue checks at execution (cost of what remains), plus the queued entries.
  const book = await bookExposure(
    db,
    (queued.results as { usd: number | null }[]).map((r) => r.usd ?? 0),
  );
  return {
    prior_entry_usd: firstPosition?.usd ?? firstSignal?.usd ?? null,
    last_exit_at_ms: await lastExitFromD1(db, mint),
    open_positions: book.open_positions,
    exposure_usd: book.exposure_usd,
  };
}

/** Open positions copied from this leader's BUYs of the mint made before the sale, from D1 (the slow path). */
export async function openCopiesFromD1(db: Db, address: string, mint: string, soldAt: string): Promise<string[]> {
  const open = await db
    .select({ id: positions.id })
    .from(positions)
    .leftJoin(signals, eq(signals.id, positions.signal_id))
    .where(
      and(
        eq(positions.status, "open"),
        eq(positions.source_wallet_address, address),
        eq(positions.token_mint, mint),
        or(isNull(signals.block_time), lte(signals.block_time, soldAt)),
      ),
    )
    .orderBy(asc(positions.opened_at));
  return open.map((p) => p.id);
}
