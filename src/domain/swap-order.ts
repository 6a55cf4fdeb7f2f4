import type { ExitReason, OrderPriority, WalletMode } from "./vocabulary";

/**
 * The contract between the actors that want a swap (WalletActor for entries, PositionActor for exits)
 * and the SwapQueue, its one executor (DESIGN §1 "one writer per thing").
 */
export type OrderReason = "entry" | ExitReason;

export interface SwapRequest {
  /**
   * Natural id that makes enqueue idempotent: `entry:<transaction signature>` (`entry:<signal_id>` in orders
   * queued by older versions), `<position_id>:<rule>[:<n>]`.
   */
  idempotency_key: string;
  side: "buy" | "sell";
  priority: OrderPriority;
  mode: WalletMode;
  token_mint: string;
  wallet_id: number | null;
  signal_id?: number | null;
  /**
   * The signal's transaction signature (a buy, a mirror-exit sell). The WalletActor enqueues before its signal
   * row is in D1 (`signal_id` absent; set only in requests of older versions): the D1 rows carry the signature
   * and are linked to the signal once it lands.
   */
  signal_signature?: string;
  position_id?: string | null;
  reason: OrderReason;
  /**
   * buy: the leader's block time (unix seconds) and slot of the trade copied. The queue checks the entry's age
   * from it at execution (never from the enqueue time), and orders it against the leader's sales.
   */
  leader_block_time?: number;
  leader_slot?: number;
  /** buy: USD to spend. */
  requested_usd?: number;
  /**
   * sell: intended amount in base units (integer text) when the exit was decided. Another exit may fill
   * first, so at execution the queue asks the PositionActor how much is still to sell (capped by what
   * remains; nothing left → the order is cancelled), never selling more than the position holds.
   */
  sell_amount?: string;
  /** sell: the same intent as a share of the remaining amount when decided (1 = full exit), for display. */
  sell_fraction?: number;
  /** sell: the tick price that triggered the exit; a simulated exit fills at it (DESIGN §4). */
  trigger_price_usd?: number;
  /** sell, scaling_out: the index of the level that fired in the strategy's scaling_levels. */
  scaling_level?: number;
  /** buy: what the PositionActor needs to open the position once filled. */
  entry?: {
    source_wallet_address: string;
    exit_strategy_id: number | null;
    token_decimals: number;
    leader_price_usd?: number | null;
  };
}

export interface EnqueueResult {
  order_id: string;
  status: "pending" | "cancelled";
  /** true when this idempotency key was already queued: nothing new was created. */
  duplicate: boolean;
  cancel_reason?: string;
  /** The queue's own state of the order (additive): pending, done (filled), cancelled or dead. */
  queue_state?: "pending" | "done" | "cancelled" | "dead";
}

/** DESIGN §4: CRITICAL mirror-exit · URGENT stop-loss / trailing-stop / take-profit · NORMAL entry · LOW scaling-out. */
export function priorityFor(reason: OrderReason): OrderPriority {
  switch (reason) {
    case "mirror_exit":
      return "critical";
    case "stop_loss":
    case "trailing_stop":
    case "take_profit":
    case "time_exit":
    case "manual":
    case "sold_externally": // never enqueued (reconciliation closes without a swap); urgent if it ever were
      return "urgent";
    case "scaling_out":
      return "low";
    case "entry":
      return "normal";
  }
}

export const PRIORITY_RANK: Record<OrderPriority, number> = { critical: 0, urgent: 1, normal: 2, low: 3 };

/** PositionActor.mirrorExit input: the leader sold `fraction` of its holding in the position's token. */
export interface MirrorExitRequest {
  /** Set only by older versions (and for SELLs they recorded): the exit is then keyed by it, as it was. */
  signal_id?: number | null;
  /** The SELL's signature: the key of the exit (the same sale twice mirrors once). */
  transaction_signature: string;
  leader_address: string;
  token_mint: string;
  fraction: number;
}

export interface MirrorExitResult {
  position_id: string;
  queued: boolean;
  order_id?: string;
  reason?: string;
}

/**
 * SwapQueue.leaderSold input: the leader sold `token_mint` at this point of the chain. Its entries made before
 * the sale (issue 9): not executed yet → cancelled `leader_exited`; executing or filled → reported in flight,
 * so the caller owes their positions the mirror exit (PositionActor.mirrorExit keeps it until they open).
 */
export interface LeaderSaleNotice {
  leader_address: string;
  token_mint: string;
  /** The sale's slot and block time (unix seconds); null when unknown. */
  slot: number | null;
  block_time: number | null;
  /** The SELL signal, for the logs (null from this version on: the signal is written behind). */
  signal_id: number | null;
  /** The SELL's signature: what a retried notice is recognised by. */
  signal_signature?: string;
}

export interface LeaderSaleResult {
  cancelled: { order_id: string; signal_id: number | null; signal_signature?: string }[];
  in_flight: { order_id: string; position_id: string }[];
}
