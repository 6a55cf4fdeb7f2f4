import { mirrorSaleKey } from "../domain/position-exits";
import type { ExitRow } from "../domain/position-state";
import type { PendingExits } from "../domain/position-tick";
import type { MirrorExitRequest } from "../domain/swap-order";
import type { ExitReason } from "../domain/vocabulary";
import { nowIso } from "../lib/time";

const TICKS_KEPT = 500;

/**
 * The PositionActor's own SQLite rows around its exits (tables in position-storage.ts): the exits it decided
 * (by idempotency key), the fills applied (by order id), manual requests by Idempotency-Key, the recent
 * price ticks and the mirror exits owed to a position not opened yet. Synchronous statements only, so the
 * actor composes them inside its storage transactions.
 */
export class ExitBook {
  constructor(private readonly sql: SqlStorage) {}

  /** Records a decided exit; a key already recorded is left as it is (the same decision, repeated). */
  record(
    key: string,
    reason: ExitReason,
    amount: bigint,
    full: boolean,
    level: number | null,
    signalId: number | null,
    price: number | null,
  ) {
    this.sql.exec(
      `INSERT INTO exits (key, reason, amount, full, level, signal_id, price_usd, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'decided', ?) ON CONFLICT(key) DO NOTHING`,
      key,
      reason,
      amount.toString(),
      full ? 1 : 0,
      level,
      signalId,
      price,
      nowIso(),
    );
  }

  byKey(key: string): ExitRow | undefined {
    return this.sql.exec<ExitRow>("SELECT * FROM exits WHERE key = ?", key).toArray()[0];
  }

  all(): ExitRow[] {
    return this.sql.exec<ExitRow>("SELECT * FROM exits ORDER BY created_at").toArray();
  }

  /** Exits recorded but not yet enqueued, oldest first. */
  decided(): ExitRow[] {
    return this.sql.exec<ExitRow>("SELECT * FROM exits WHERE state = 'decided' ORDER BY created_at, rowid").toArray();
  }

  /** Exits queued on the SwapQueue, with their order. */
  queued(): { key: string; order_id: string }[] {
    return this.sql
      .exec<{ key: string; order_id: string }>(
        "SELECT key, order_id FROM exits WHERE state = 'queued' AND order_id IS NOT NULL",
      )
      .toArray();
  }

  /** Marks an exit queued (or cancelled at enqueue) unless a fill or release already moved it on. */
  markQueued(key: string, orderId: string, cancelled: boolean) {
    this.sql.exec(
      "UPDATE exits SET order_id = ?, state = CASE WHEN state = 'decided' THEN ? ELSE state END WHERE key = ?",
      orderId,
      cancelled ? "cancelled" : "queued",
      key,
    );
  }

  /** Exits decided or queued and not yet filled: a full one, and the base units of the partial ones. */
  pending(): PendingExits {
    const rows = this.sql
      .exec<{ amount: string; full: number }>("SELECT amount, full FROM exits WHERE state IN ('decided', 'queued')")
      .toArray();
    return {
      full: rows.some((r) => r.full === 1),
      partial: rows.filter((r) => r.full !== 1).reduce((s, r) => s + BigInt(r.amount), 0n),
    };
  }

  firstFullReason(): ExitReason | null {
    const r = this.sql
      .exec<{ reason: ExitReason }>(
        "SELECT reason FROM exits WHERE full = 1 AND state IN ('decided', 'queued', 'filled') ORDER BY created_at, rowid LIMIT 1",
      )
      .toArray()[0];
    return r?.reason ?? null;
  }

  /** The queue gave up on these orders: their exits no longer hold anything back. */
  release(released: { orderId: string; outcome: "cancelled" | "dead"; key?: string }[]) {
    for (const r of released)
      this.sql.exec(
        "UPDATE exits SET state = ?, order_id = ? WHERE (order_id = ? OR key = ?) AND state IN ('queued', 'decided')",
        r.outcome,
        r.orderId,
        r.orderId,
        r.key ?? null,
      );
  }

  fillSeen(orderId: string): boolean {
    return this.sql.exec("SELECT 1 FROM fills WHERE order_id = ?", orderId).toArray().length > 0;
  }

  /** One applied fill, and its exit marked filled (found by order id, or by key before the enqueue returned). */
  recordFill(
    fill: { order_id: string; proceeds_usd: number; price_usd: number; reason: string; idempotency_key?: string },
    sold: bigint,
    at: string,
  ) {
    this.sql.exec(
      "INSERT INTO fills (order_id, sold_amount, proceeds_usd, price_usd, reason, filled_at) VALUES (?, ?, ?, ?, ?, ?)",
      fill.order_id,
      sold.toString(),
      fill.proceeds_usd,
      fill.price_usd,
      fill.reason,
      at,
    );
    this.sql.exec(
      "UPDATE exits SET state = 'filled', order_id = ? WHERE order_id = ? OR key = ?",
      fill.order_id,
      fill.order_id,
      fill.idempotency_key ?? null,
    );
  }

  manualRequest(idem: string) {
    return this.sql
      .exec<{ percent: number; exit_key: string; amount: string }>(
        "SELECT percent, exit_key, amount FROM manual_requests WHERE idempotency_key = ?",
        idem,
      )
      .toArray()[0];
  }

  recordManual(idem: string, percent: number, exitKey: string, amount: bigint) {
    this.sql.exec(
      "INSERT INTO manual_requests (idempotency_key, percent, exit_key, amount, created_at) VALUES (?, ?, ?, ?, ?)",
      idem,
      percent,
      exitKey,
      amount.toString(),
      nowIso(),
    );
  }

  /** A mirror exit owed to a position not opened yet (applied by its open), once per sale. */
  oweMirror(req: MirrorExitRequest) {
    this.sql.exec(
      "INSERT INTO owed_mirror_exits (sale_key, request, created_at) VALUES (?, ?, ?) ON CONFLICT(sale_key) DO NOTHING",
      mirrorSaleKey(req),
      JSON.stringify(req),
      nowIso(),
    );
  }

  /** The owed mirror exits, oldest first: those owed by older versions (by signal id), then by sale key. */
  owedMirrors(): { sale_key: string; legacy: boolean; request: MirrorExitRequest }[] {
    const legacy = this.sql
      .exec<{ signal_id: number; request: string }>("SELECT signal_id, request FROM owed_mirrors ORDER BY rowid")
      .toArray()
      .map((r) => ({
        sale_key: String(r.signal_id),
        legacy: true,
        request: JSON.parse(r.request) as MirrorExitRequest,
      }));
    const owed = this.sql
      .exec<{ sale_key: string; request: string }>("SELECT sale_key, request FROM owed_mirror_exits ORDER BY rowid")
      .toArray()
      .map((r) => ({ sale_key: r.sale_key, legacy: false, request: JSON.parse(r.request) as MirrorExitRequest }));
    return [...legacy, ...owed];
  }

  dropOwedMirror(o: { sale_key: string; legacy: boolean }) {
    if (o.legacy) this.sql.exec("DELETE FROM owed_mirrors WHERE signal_id = ?", Number(o.sale_key));
    else this.sql.exec("DELETE FROM owed_mirror_exits WHERE sale_key = ?", o.sale_key);
  }

  saveTick(price: number | null, source: string | null) {
    this.sql.exec("INSERT INTO ticks (at, price_usd, source) VALUES (?, ?, ?)", nowIso(), price, source);
    this.sql.exec("DELETE FROM ticks WHERE seq <= (SELECT MAX(seq) FROM ticks) - ?", TICKS_KEPT);
  }

  /** The recent ticks and their range, for the API. */
  priceHistory() {
    const recent = this.sql
      .exec<{ at: string; price_usd: number | null; source: string | null }>(
        "SELECT at, price_usd, source FROM ticks ORDER BY seq DESC LIMIT 20",
      )
      .toArray();
    const agg = this.sql
      .exec<{ n: number; lo: number | null; hi: number | null; first_at: string | null }>(
        "SELECT COUNT(*) AS n, MIN(price_usd) AS lo, MAX(price_usd) AS hi, MIN(at) AS first_at FROM ticks",
      )
      .one();
    return { ticks: agg.n, min_price_usd: agg.lo, max_price_usd: agg.hi, first_tick_at: agg.first_at, recent };
  }
}
