import type { Db } from "../db/client";
import { openPositionsForBook } from "../db/positions-store";
import { log } from "../lib/logger";
import type { QueueBook } from "./queue-book";
import { owedOpenings } from "./queue-storage";

/**
 * The SwapQueue's book, loaded from D1 once (its first use after an upgrade) with the openings still owed in
 * the queue; false while D1 cannot be read (the caller waits or answers null).
 */
export async function bookReady(book: QueueBook, db: Db, sql: SqlStorage): Promise<boolean> {
  if (book.seeded()) return true;
  let rows: Awaited<ReturnType<typeof openPositionsForBook>>;
  try {
    rows = await openPositionsForBook(db);
  } catch (err) {
    log.warn("swap_book_seed_failed", { error: String(err) });
    return false;
  }
  if (!book.seeded()) book.seed([...rows, ...owedOpenings(sql)]);
  return true;
}
