import type { Config } from "./config";
import type { StrategyRules } from "./exit-strategy";
import type { ExitReason, WalletMode } from "./vocabulary";

/** The RPC contract between the SwapQueue (the executor) and a PositionActor (one per position). */

/** `PositionActor.open`: written by the SwapQueue once an entry (BUY) order has filled. */
export interface OpenPositionInput {
  position_id: string;
  entry_order_id: string;
  wallet_id: number | null;
  source_wallet_address: string;
  signal_id: number | null;
  /** The entry signal's transaction signature, when its signal row may not be in D1 yet (issue 10). */
  signal_signature?: string | null;
  token_mint: string;
  token_decimals: number;
  mode: WalletMode;
  exit_strategy_id: number | null;
  entry_price_usd: number;
  /** Base units (integer text). */
  entry_amount: string;
  entry_cost_usd: number;
  /** The exit-strategy template, resolved by the queue from its hot state (absent: the position reads it). */
  template?: { id: number; rules: StrategyRules };
  /** The queue's config snapshot (versioned), so the position opens without a read (issue 10). */
  hot?: { version: number; data: { config: Config } };
}

/** `PositionActor.sellable`: what an exit order may still sell when it executes. */
export interface SellableRequest {
  order_id: string;
  /** Base units intended when the exit was decided. */
  amount?: string;
  /** A full exit sells whatever remains, whatever was intended. */
  full: boolean;
}

export interface SellableResult {
  /** Base units to sell now, "0" when nothing is left. */
  amount: string;
  token_decimals: number;
  token_mint: string;
  status: "open" | "closing" | "closed";
  /** Base units the position still holds (a live partial exit scales the wallet's real holding by it). */
  remaining?: string;
}

/** `PositionActor.applyFill`: one filled exit order. */
export interface ExitFill {
  order_id: string;
  sold_amount: string;
  proceeds_usd: number;
  price_usd: number;
  reason: ExitReason;
  /** The order's idempotency key: a fill may arrive before the enqueue that created it has returned. */
  idempotency_key?: string;
}

/** Position ids are derived from their entry order, so a retried fill opens the same position. */
export const positionIdFor = (entryOrderId: string) => `pos_${entryOrderId}`;
