import type { Db } from "../db/client";
import { openPositionsForBook, recentClosesForBook } from "../db/positions-store";
import { MAX_MINT_COOLDOWN_SECONDS } from "../domain/config";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { QueueBook } from "./queue-book";
import { owedOpenings } from "./queue-storage";

/** D1's closes within the longest mint cooldown, as `seedCloses` takes them. */
async function recentCloses(db: Db, sinceMs: number) {
  const rows = await recentClosesForBook(db, nowIso(sinceMs));
  return rows.flatMap((r) => {
    const at = r.closed_at ? Date.parse(r.closed_at) : Number.NaN;
    return Number.isFinite(at) ? [{ token_mint: r.token_mint, closed_at_ms: at }] : [];
  });
}

/**
 * The SwapQueue's book, loaded from D1 once (its first use after an upgrade) with the openings still owed in
 * the queue and each mint's latest close within the longest cooldown; false while D1 cannot be read (the
 * caller waits or answers null). A book seeded before it copied closes copies them once too, best effort: until
 * then the mint cooldown reads D1 for the closes it never saw (src/pipeline/wallet-copy-facts.ts).
 */
export async function bookReady(book: QueueBook, db: Db, sql: SqlStorage): Promise<boolean> {
  if (book.seeded()) {
    if (!book.closesSeeded()) await seedCloses(book, db);
    return true;
  }
  let rows: Awaited<ReturnType<typeof openPositionsForBook>>;
  let closes: Awaited<ReturnType<typeof recentCloses>>;
  const sinceMs = Date.now() - MAX_MINT_COOLDOWN_SECONDS * 1000;
  try {
    [rows, closes] = await Promise.all([openPositionsForBook(db), recentCloses(db, sinceMs)]);
  } catch (err) {
    log.warn("swap_book_seed_failed", { error: String(err) });
    return false;
  }
  if (!book.seeded()) book.seed([...rows, ...owedOpenings(sql)]);
  if (!book.closesSeeded()) book.seedCloses(closes, sinceMs);
  return true;
}

async function seedCloses(book: QueueBook, db: Db) {
  // Tried at most once a minute while D1 fails, not on every call.
  if (Date.now() - book.closesSeedTriedAtMs < 60_000) return;
  book.closesSeedTriedAtMs = Date.now();
  const sinceMs = Date.now() - MAX_MINT_COOLDOWN_SECONDS * 1000;
  try {
    const closes = await recentCloses(db, sinceMs);
    if (!book.closesSeeded()) book.seedCloses(closes, sinceMs);
  } catch (err) {
    log.warn("swap_book_closes_seed_failed", { error: String(err) });
  }
}
