import { env } from "cloudflare:workers";
import { LEADER } from "./execution";

let seq = 0;

/** Opens a position directly on its actor and waits for its D1 row (as the SwapQueue does after an entry fill). */
export async function openPosition(
  tokenMint: string,
  over: {
    entry_price_usd?: number;
    entry_amount?: string;
    entry_cost_usd?: number;
    exit_strategy_id?: number | null;
  } = {},
) {
  seq++;
  const id = `pos_test_${seq}_${tokenMint.slice(0, 8)}`;
  const entry_price_usd = over.entry_price_usd ?? 1;
  const entry_amount = over.entry_amount ?? "1000000000"; // 1000 tokens at 6 decimals
  await env.POSITION_ACTOR.getByName(id).open({
    position_id: id,
    entry_order_id: `ord_test_${seq}`,
    wallet_id: null,
    source_wallet_address: LEADER,
    signal_id: null,
    token_mint: tokenMint,
    token_decimals: 6,
    mode: "simulation",
    exit_strategy_id: over.exit_strategy_id ?? null,
    entry_price_usd,
    entry_amount,
    entry_cost_usd: over.entry_cost_usd ?? (Number(entry_amount) / 1e6) * entry_price_usd,
  });
  // The row is written behind the open; the queue's owed `d1_position` step is what waits for it.
  await env.POSITION_ACTOR.getByName(id).flushD1();
  return { id, actor: env.POSITION_ACTOR.getByName(id) };
}

export const ordersOf = async (positionId: string) =>
  (
    await env.DB.prepare("SELECT * FROM orders WHERE position_id = ? ORDER BY requested_at, id")
      .bind(positionId)
      .all<Record<string, unknown>>()
  ).results;
