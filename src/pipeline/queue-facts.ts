import type { QueueBook } from "./queue-book";
import type { QueueState } from "./queue-storage";

/**
 * What a WalletActor's decisions need from the SwapQueue's book (issue 10: no D1 read on the entry / exit
 * path), answered from the queue's own SQLite in one RPC. A position this queue filled has its entry order
 * here, whose request names the leader, the mint and the leader's block time. A position the book copied from
 * D1 at its seed (opened before the book existed) has none: its origin is unknown here, and the answers say
 * so, for the caller to take the D1 path it had before for that fact. The SwapQueue answers null while its
 * book is not loaded.
 */
export interface EntryFactsQuery {
  leader_address: string;
  token_mint: string;
  /** Orders of the leader's earlier entries in the mint: their states, to tell a failed one from a live one. */
  order_ids: string[];
}

export interface EntryFacts {
  /** Entry cost of this leader's first position in the mint (re-buy sizing), or null. */
  first_position_usd: number | null;
  /** The mint's last close (cooldown), from positions closed while the book recorded close times. */
  last_exit_at_ms: number | null;
  /** Closes before this time are not known to the book (the caller reads D1 if its cooldown reaches back). */
  closes_known_since_ms: number;
  /** The last close of a position of unknown origin (it may be this mint's), or null. */
  unknown_close_at_ms: number | null;
  /** Open positions and the USD at risk, queued entries included (the caps' own definition). */
  open_positions: number;
  exposure_usd: number;
  order_states: Record<string, QueueState | null>;
}

export interface OpenCopiesQuery {
  leader_address: string;
  token_mint: string;
  /** The sale's block time (ms): only copies of BUYs made at or before it are mirrored. */
  sold_at_ms: number;
}

export interface OpenCopies {
  /** false: an open position of unknown origin may be one of them (the caller reads D1). */
  complete: boolean;
  /** Open positions copied from this leader's BUYs of the mint, oldest first. */
  position_ids: string[];
}

type BookRow = {
  position_id: string;
  entry_cost_usd: number;
  closed: number;
  closed_at_ms: number | null;
  /** Null for a position of unknown origin (neither the book nor an entry order here names it). */
  leader: string | null;
  mint: string | null;
  block_time_ms: number | null;
};

/**
 * Book rows with the leader's trade they copy — from the book's own columns, else the entry order's request —
 * restricted to one mint's rows and those of unknown origin. Two index lookups, never a scan of the whole
 * history: the rows naming their mint by `book_mint`, and the few from before the origin columns (token_mint
 * null) joined to their entry order by its key (`pos_<order_id>`; the JSON is read for those rows only).
 */
function bookRows(sql: SqlStorage, mint: string, open: boolean): BookRow[] {
  const openOnly = open ? 1 : 0;
  return sql
    .exec<BookRow>(
      `SELECT position_id, entry_cost_usd, closed, closed_at_ms, rowid AS seq, token_mint AS mint,
         leader_address AS leader, leader_block_time_ms AS block_time_ms
       FROM book WHERE token_mint = ? AND (? = 0 OR closed = 0)
       UNION ALL
       SELECT * FROM (
         SELECT b.position_id, b.entry_cost_usd, b.closed, b.closed_at_ms, b.rowid AS seq,
           json_extract(q.request, '$.token_mint') AS mint,
           json_extract(q.request, '$.entry.source_wallet_address') AS leader,
           json_extract(q.request, '$.leader_block_time') * 1000 AS block_time_ms
         FROM book b LEFT JOIN queue q
           ON substr(b.position_id, 1, 4) = 'pos_' AND q.order_id = substr(b.position_id, 5)
         WHERE b.token_mint IS NULL AND (? = 0 OR b.closed = 0)
       ) WHERE mint IS NULL OR mint = ?
       ORDER BY seq`,
      mint,
      openOnly,
      openOnly,
      mint,
    )
    .toArray();
}

const ofLeader = (r: BookRow, leader: string, mint: string) => r.mint === mint && r.leader === leader;

export function entryFacts(sql: SqlStorage, book: QueueBook, q: EntryFactsQuery): EntryFacts {
  const rows = bookRows(sql, q.token_mint, false);
  const unknownCloses = rows.filter((r) => r.mint === null && r.closed_at_ms !== null).map((r) => r.closed_at_ms ?? 0);
  const first = rows.find((r) => ofLeader(r, q.leader_address, q.token_mint)); // book order: first opened
  const closes = rows
    .filter((r) => r.closed === 1 && r.closed_at_ms !== null && r.mint === q.token_mint)
    .map((r) => r.closed_at_ms as number);
  const seededClose = book.seededCloseOf(q.token_mint);
  if (seededClose !== null) closes.push(seededClose);
  const queued = sql
    .exec<{ usd: number | null }>(
      `SELECT json_extract(request, '$.requested_usd') AS usd FROM queue
       WHERE state = 'pending' AND json_extract(request, '$.side') = 'buy'`,
    )
    .toArray()
    .map((r) => r.usd ?? 0);
  const { open_positions, exposure_usd } = book.exposure();
  const queuedUsd = queued.reduce((s, u) => s + (u > 0 ? u : 0), 0);
  const states: Record<string, QueueState | null> = {};
  for (const id of q.order_ids)
    states[id] =
      sql.exec<{ state: QueueState }>("SELECT state FROM queue WHERE order_id = ?", id).toArray()[0]?.state ?? null;
  return {
    first_position_usd: first?.entry_cost_usd ?? null,
    last_exit_at_ms: closes.length > 0 ? Math.max(...closes) : null,
    closes_known_since_ms: book.closesSince(),
    unknown_close_at_ms: unknownCloses.length > 0 ? Math.max(...unknownCloses) : null,
    open_positions: open_positions + queued.length,
    exposure_usd: exposure_usd + queuedUsd,
    order_states: states,
  };
}

export function openCopies(sql: SqlStorage, q: OpenCopiesQuery): OpenCopies {
  const rows = bookRows(sql, q.token_mint, true);
  const position_ids = rows
    .filter((r) => ofLeader(r, q.leader_address, q.token_mint))
    // A copy of a BUY made after the sale (a sale recovered late) is not this sale's to close.
    .filter((r) => r.block_time_ms === null || r.block_time_ms <= q.sold_at_ms)
    .map((r) => r.position_id);
  return { complete: !rows.some((r) => r.mint === null), position_ids };
}
