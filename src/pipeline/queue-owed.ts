import type { Db } from "../db/client";
import type { ExitFill, OpenPositionInput } from "../domain/position";
import type { SwapRequest } from "../domain/swap-order";
import { batchThenEach } from "../lib/batch-then-each";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { type D1Step, d1StepStatements, type QueuedOrder, runBatch } from "./order-write-behind";
import type { QueueRow } from "./queue-storage";

const MAX_BACKOFF_MS = 60_000;

/** What an outcome still owes elsewhere, one idempotent call each (see `runOwedStep`, src/pipeline/queue-step-dispatch.ts). */
export type OwedStep =
  | D1Step
  | { step: "open_position"; payload: OpenPositionInput }
  | { step: "apply_fill"; payload: { position_id: string; fill: ExitFill } }
  | { step: "release"; payload: { position_id: string; outcome: "cancelled" | "dead"; key: string } }
  /** The opened position's D1 row, written behind by its actor (`flushD1`) until D1 holds it. */
  | { step: "d1_position"; payload: { position_id: string } };

export const D1_STEPS: ReadonlySet<string> = new Set(["d1_order", "d1_note", "signal_filtered"]);
/** Steps that only bring the read model up to date: run behind the decisions (`d1: false` leaves them). */
export const BEHIND_STEPS: ReadonlySet<string> = new Set([...D1_STEPS, "d1_position"]);

export type OwedRow = {
  order_id: string;
  step: OwedStep["step"];
  payload: string;
  state: "owed" | "done";
  attempts: number;
  last_error: string | null;
  not_before_ms: number;
  created_at_ms: number;
};

/**
 * Owed work of the SwapQueue (DESIGN §1): what an order's outcome still owes elsewhere, recorded in the same
 * storage transaction as the outcome (`record`, call it inside that transaction) and run until done. The D1
 * steps are the write-behind of the read model (src/pipeline/order-write-behind.ts); the others are calls to
 * the PositionActor, made by the queue (`actorStep`).
 */
export class OwedLedger {
  /** Steps being run now (`<order>/<step>`): a concurrent run (alarm vs. inline) leaves them alone. */
  readonly running = new Set<string>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly db: () => Db,
    private readonly actorStep: (s: OwedStep, orderId: string) => Promise<void>,
  ) {}

  /** Records steps owed by an order's outcome; call inside the transaction that records the outcome. */
  record(orderId: string, steps: OwedStep[]) {
    const now = Date.now();
    for (const s of steps)
      this.sql.exec(
        `INSERT INTO owed (order_id, step, payload, state, created_at_ms) VALUES (?, ?, ?, 'owed', ?)
         ON CONFLICT(order_id, step) DO UPDATE SET payload = excluded.payload, state = 'owed', not_before_ms = 0,
           done_at_ms = NULL`,
        orderId,
        s.step,
        JSON.stringify(s.payload),
        now,
      );
  }

  /**
   * Runs the owed steps that are due (or all of one order's, right after its outcome), each on its own: a
   * failure is recorded with a backoff and retried by the alarm, it never blocks the other steps. Actor calls
   * run first (they unblock positions); the D1 steps then go as one batch (`d1: false` leaves them, and the
   * positions' D1 writes, to the run's flush). A step is marked done only if its payload is still the one run, so an outcome recorded
   * while its intent was being written is never lost.
   */
  async run(orderId?: string, opts: { d1?: boolean } = {}): Promise<void> {
    const sql = this.sql;
    const rows = orderId
      ? sql.exec<OwedRow>("SELECT * FROM owed WHERE state = 'owed' AND order_id = ? ORDER BY rowid", orderId).toArray()
      : sql
          .exec<OwedRow>(
            "SELECT * FROM owed WHERE state = 'owed' AND not_before_ms <= ? ORDER BY not_before_ms, rowid LIMIT 50",
            Date.now(),
          )
          .toArray();
    const d1: OwedRow[] = [];
    // An order's steps go in their order: behind one another run is on (a position's open, run behind the
    // fill that owes it), the later ones wait for it — the position's D1 row needs the position opened.
    const held = new Set<string>();
    for (const r of rows) {
      const isD1 = D1_STEPS.has(r.step);
      if (BEHIND_STEPS.has(r.step) && opts.d1 === false) continue;
      const id = `${r.order_id}/${r.step}`;
      if (held.has(r.order_id)) continue;
      if (this.running.has(id)) {
        held.add(r.order_id); // a concurrent run (alarm vs. inline, or behind a fill) is already on it
        continue;
      }
      // This list was read before earlier steps were awaited: another run may have done this one meanwhile.
      const cur = sql
        .exec<OwedRow>("SELECT * FROM owed WHERE order_id = ? AND step = ? AND state = 'owed'", r.order_id, r.step)
        .toArray()[0];
      if (!cur) continue;
      this.running.add(id);
      if (isD1) {
        d1.push(cur);
        continue;
      }
      try {
        await this.actorStep({ step: cur.step, payload: JSON.parse(cur.payload) } as OwedStep, r.order_id);
        this.stepDone(cur);
      } catch (err) {
        this.stepFailed(cur, err);
      } finally {
        this.running.delete(id);
      }
    }
    if (d1.length > 0) await this.flushD1(d1);
  }

  /** The owed D1 steps as one batch; if it fails, each on its own, so one bad row never holds the others. */
  private async flushD1(rows: OwedRow[]): Promise<void> {
    const items = rows.map((r) => ({ r, stmts: this.statements(r) }));
    try {
      await batchThenEach(
        items,
        (some) =>
          runBatch(
            this.db(),
            some.flatMap((i) => i.stmts),
          ),
        (i, err) => (err === null ? this.stepDone(i.r) : this.stepFailed(i.r, err)),
      );
    } finally {
      for (const r of rows) this.running.delete(`${r.order_id}/${r.step}`);
    }
  }

  statements(r: OwedRow) {
    const q = this.sql.exec<QueueRow>("SELECT * FROM queue WHERE order_id = ?", r.order_id).toArray()[0];
    const order: QueuedOrder | null = q
      ? {
          order_id: q.order_id,
          idempotency_key: q.idempotency_key,
          request: JSON.parse(q.request) as SwapRequest,
          created_at_ms: q.created_at_ms,
        }
      : null;
    return d1StepStatements(this.db(), { step: r.step, payload: JSON.parse(r.payload) } as D1Step, r.order_id, order);
  }

  private stepDone(r: OwedRow) {
    this.sql.exec(
      "UPDATE owed SET state = 'done', done_at_ms = ?, last_error = NULL WHERE order_id = ? AND step = ? AND payload = ?",
      Date.now(),
      r.order_id,
      r.step,
      r.payload,
    );
  }

  private stepFailed(r: OwedRow, err: unknown) {
    const attempts = r.attempts + 1;
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts - 1, 10));
    const message = errorMessage(err).slice(0, 500);
    // Guarded by payload too: an outcome recorded meanwhile is due at once, not after this step's backoff.
    this.sql.exec(
      "UPDATE owed SET attempts = ?, last_error = ?, not_before_ms = ? WHERE order_id = ? AND step = ? AND payload = ?",
      attempts,
      message,
      Date.now() + backoff,
      r.order_id,
      r.step,
      r.payload,
    );
    log.warn("order_step_failed", { order_id: r.order_id, step: r.step, attempts, error: message });
  }

  /** One D1 step run on its own (the watchdog's replay path uses `run`; this is for a direct call). */
  async runD1(s: D1Step, orderId: string): Promise<void> {
    await runBatch(
      this.db(),
      this.statements({ order_id: orderId, step: s.step, payload: JSON.stringify(s.payload) } as OwedRow),
    );
  }
}
