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
