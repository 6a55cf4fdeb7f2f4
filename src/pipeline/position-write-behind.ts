import type { PositionInsert } from "../db/positions-store";
import { positionPnl } from "../domain/exit-rules";
import type { PositionState } from "../domain/position-state";
import { nowIso } from "../lib/time";

/**
 * The D1 read-model row of a position (DESIGN §1: the PositionActor is its one writer), from its state. The
 * row carries the state's version so that a late write of an older state never lands over it.
 */
export function positionRowOf(st: PositionState): PositionInsert {
  const pnl = positionPnl({
    entry_amount: BigInt(st.entry_amount),
    entry_cost_usd: st.entry_cost_usd,
    current_amount: BigInt(st.current_amount),
    decimals: st.token_decimals,
    price_usd: st.current_price_usd,
    realized_pnl_usd: st.realized_pnl_usd,
  });
  return {
    id: st.id,
    wallet_id: st.wallet_id,
    source_wallet_address: st.source_wallet_address,
    signal_id: st.signal_id,
    signal_signature: st.signal_signature ?? null,
    entry_order_id: st.entry_order_id,
    token_mint: st.token_mint,
    token_decimals: st.token_decimals,
    mode: st.mode,
    status: st.status,
    exit_strategy_id: st.exit_strategy_id,
    strategy_override: st.strategy_override ? JSON.stringify(st.strategy_override) : null,
    entry_price_usd: st.entry_price_usd,
    entry_amount: st.entry_amount,
    entry_cost_usd: st.entry_cost_usd,
    current_amount: st.current_amount,
    current_price_usd: st.current_price_usd,
    peak_price_usd: st.peak_price_usd,
    trailing_active: st.trailing_active,
    scaling_levels_hit: JSON.stringify(st.scaling_levels_hit),
    ...pnl,
    sold_amount: st.sold_amount,
    exit_proceeds_usd: st.exit_proceeds_usd,
    avg_exit_price_usd: st.avg_exit_price_usd,
    exit_reason: st.exit_reason,
    price_source: st.price_source,
    last_price_at: st.last_price_at,
    next_poll_at: st.next_poll_at,
    poll_interval_seconds: st.poll_interval_seconds,
    opened_at: st.opened_at,
    closed_at: st.closed_at,
    state_version: st.version ?? 0,
    updated_at: nowIso(),
  };
}

/**
 * Writes a PositionActor's read-model row. Writes are chained so that a later snapshot never lands before an
 * earlier one; each reads the state when it runs, and the version D1 holds is kept in `meta` (an eviction
 * keeps it), so the owed `d1_position` step knows when it is done.
 */
export class PositionD1Writer {
  private chain: Promise<void> = Promise.resolve();
  /** The last write asked for, until it settles, and the version it read (null: not started yet). */
  private queued: { read: number | null; done: Promise<void> } | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly state: () => PositionState | null,
    /** Writes the row (through the shared D1 writer: batched with other actors' rows); throws if it did not land. */
    private readonly upsert: (row: PositionInsert) => Promise<void>,
  ) {}

  /** The state version D1 is known to hold (-1: none yet). */
  version(): number {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'd1_version'").toArray()[0];
    return row ? Number(row.value) : -1;
  }

  sync(): Promise<void> {
    // A write not yet past reading the state, or one that read this same version, writes what this call
    // would: joined, not repeated (the open's write and the queue's owed flush right after it are one write).
    const current = this.state()?.version ?? 0;
    if (this.queued && (this.queued.read === null || this.queued.read === current)) return this.queued.done;
    const entry: { read: number | null; done: Promise<void> } = { read: null, done: Promise.resolve() };
    const run = async () => {
      const st = this.state();
      entry.read = st?.version ?? 0;
      if (!st) return;
      const row = positionRowOf(st);
      await this.upsert(row);
      const written = row.state_version ?? 0;
      if (written > this.version())
        this.sql.exec(
          "INSERT INTO meta (key, value) VALUES ('d1_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          String(written),
        );
    };
    this.chain = this.chain.catch(() => undefined).then(run);
    entry.done = this.chain;
    this.queued = entry;
    const clear = () => {
      if (this.queued === entry) this.queued = null;
    };
    this.chain.then(clear, clear);
    return this.chain;
  }
}
