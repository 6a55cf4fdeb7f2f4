/**
 * A PositionActor's stuck live exit (issue 11): the SwapQueue found no route for its exit and keeps retrying it
 * with backoff until it lands or the operator steps in. Kept in the actor's own SQLite (one writer per
 * position) and shown with the position, so the operator sees which position is stuck, since when and why.
 */
export type StuckExit = { order_id: string; code: string | null; since: string; updated_at: string };

export class StuckExits {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS stuck_exits (
      order_id TEXT PRIMARY KEY,
      code TEXT,
      since TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`);
  }

  /** Idempotent: marking a stuck exit again keeps its `since`; unmarking one not marked does nothing. */
  mark(orderId: string, stuck: boolean, code: string | null, nowIso: string) {
    if (!stuck) {
      this.sql.exec("DELETE FROM stuck_exits WHERE order_id = ?", orderId);
      return;
    }
    this.sql.exec(
      `INSERT INTO stuck_exits (order_id, code, since, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(order_id) DO UPDATE SET code = excluded.code, updated_at = excluded.updated_at`,
      orderId,
      code,
      nowIso,
      nowIso,
    );
  }

  /**
   * The oldest exit still stuck, or null. One that filled or was given up (its exit row filled, dead or
   * cancelled) is never shown, even if the queue's "no longer stuck" call has not arrived yet.
   */
  current(): StuckExit | null {
    return (
      this.sql
        .exec<StuckExit>(
          `SELECT * FROM stuck_exits WHERE order_id NOT IN (SELECT order_id FROM fills)
             AND order_id NOT IN (SELECT order_id FROM exits WHERE order_id IS NOT NULL AND state IN ('filled', 'dead', 'cancelled'))
           ORDER BY since LIMIT 1`,
        )
        .toArray()[0] ?? null
    );
  }
}
