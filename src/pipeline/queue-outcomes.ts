import type { OrderPatch } from "../db/orders-store";
import type { OpenPositionInput } from "../domain/position";
import type { LeaderSaleResult, SwapRequest } from "../domain/swap-order";
import { nowIso } from "../lib/time";
import { originOf, type QueueBook } from "./queue-book";
import type { OwedStep } from "./queue-owed";
import type { QueueRow } from "./queue-storage";
import type { SimBuyFill, SimSellFill } from "./sim-quote";

/**
 * What the SwapQueue records with an order's outcome (DESIGN §1 "owed work"): the outcome itself and the
 * steps it still owes elsewhere, built here from the order and its fill; the queue writes them in one storage
 * transaction. No I/O.
 */
export type Outcome =
  | { kind: "filled"; d1: OrderPatch; next: OwedStep; book: (b: QueueBook) => void }
  | { kind: "cancelled"; reason: string }
  | { kind: "wait"; reason: string; delay_ms: number }
  /** A live order's outcome, stored with its terminal state by the live runner (src/pipeline/live-queue.ts). */
  | { kind: "settled" };

/** The entry's signal, by id or (its row written behind, issue 10) by transaction signature; null: none. */
export function signalOf(req: SwapRequest): { signal_id: number | null; signal_signature?: string } | null {
  if (req.signal_id != null) return { signal_id: req.signal_id };
  return req.signal_signature ? { signal_id: null, signal_signature: req.signal_signature } : null;
}

/** An entry cancelled by a leader's sale, as the WalletActor records it (by signal id or signature). */
export function cancelledEntry(orderId: string, req: SwapRequest): LeaderSaleResult["cancelled"][number] {
  return {
    order_id: orderId,
    signal_id: req.signal_id ?? null,
    ...(req.signal_signature ? { signal_signature: req.signal_signature } : {}),
  };
}

/** The steps a filled order owes: its follow-up (open or apply), its D1 row, and an opened position's row. */
export function filledSteps(next: OwedStep, d1: OrderPatch): OwedStep[] {
  const steps: OwedStep[] = [next, { step: "d1_order", payload: d1 }];
  if (next.step === "open_position")
    steps.push({ step: "d1_position", payload: { position_id: next.payload.position_id } });
  return steps;
}

/** The steps a cancelled (`dead`: dead-lettered) order owes: its D1 row, its signal's outcome, its release. */
export function givenUpSteps(
  row: QueueRow,
  req: SwapRequest,
  outcome: { status: "cancelled"; reason: string } | { status: "dead"; attempts: number; message: string },
  /** More of the D1 row (a live order's signature and sized amount). */
  d1Extra: OrderPatch = {},
): OwedStep[] {
  const steps: OwedStep[] = [
    outcome.status === "cancelled"
      ? { step: "d1_order", payload: { status: "cancelled", cancel_reason: outcome.reason, ...d1Extra } }
      : {
          step: "d1_order",
          payload: { status: "dead", attempts: outcome.attempts, last_error: outcome.message, ...d1Extra },
        },
  ];
  // An entry refused (breaker, caps, no price) or failed must not read as "copied" in the signal history.
  const signal = signalOf(req);
  if (req.side === "buy" && signal)
    steps.push({
      step: "signal_filtered",
      payload: { ...signal, reason: outcome.status === "cancelled" ? outcome.reason : "entry_failed" },
    });
  if (req.side === "sell" && req.position_id)
    steps.push({
      step: "release",
      payload: { position_id: req.position_id, outcome: outcome.status, key: row.idempotency_key },
    });
  return steps;
}

/** A simulated entry's fill: its D1 row, the position it opens (with the queue's hot state), the book entry. */
export function simulatedBuyFilled(
  row: QueueRow,
  req: SwapRequest & { entry: NonNullable<SwapRequest["entry"]> },
  positionId: string,
  fill: SimBuyFill,
  durationMs: number,
  start: Pick<OpenPositionInput, "template" | "hot">,
): Outcome {
  const entry = req.entry;
  const executed = {
    executed_price_usd: fill.executed_price_usd,
    executed_out_amount: fill.executed_amount.toString(),
    executed_usd: fill.executed_usd,
  };
  return {
    kind: "filled",
    d1: {
      status: "filled",
      position_id: positionId,
      expected_price_usd: fill.expected_price_usd,
      expected_out_amount: fill.expected_amount.toString(),
      // The SOL side and the quote's slot only for a quote-priced fill (src/pipeline/sim-quote.ts).
      executed_in_amount: fill.sol_lamports,
      quote_context_slot: fill.quote_context_slot,
      ...executed,
      slippage_bps: fill.slippage_bps,
      executed_at: nowIso(),
      execution_duration_ms: durationMs,
      last_error: null,
    },
    // The position opens from the queue's hot state: its template and config, no D1 read (issue 10).
    next: openPositionStep(row, req, positionId, {
      price_usd: executed.executed_price_usd,
      amount: executed.executed_out_amount,
      cost_usd: executed.executed_usd,
      decimals: entry.token_decimals,
      start,
    }),
    book: (b) => b.opened(positionId, executed.executed_usd, executed.executed_out_amount, originOf(req)),
  };
}

/** A simulated exit's fill: its D1 row, the fill the position applies, the book's update. */
export function simulatedSellFilled(
  row: QueueRow,
  req: SwapRequest & { position_id: string },
  sellable: { amount: string },
  fill: SimSellFill,
  full: boolean,
  durationMs: number,
): Outcome {
  const positionId = req.position_id;
  const sold = fill.sold_amount.toString();
  return {
    kind: "filled",
    d1: {
      status: "filled",
      requested_amount: req.sell_amount ?? sellable.amount,
      expected_price_usd: fill.expected_price_usd,
      expected_out_amount: null,
      executed_price_usd: fill.executed_price_usd,
      executed_in_amount: sold,
      executed_out_amount: fill.sol_lamports,
      quote_context_slot: fill.quote_context_slot,
      executed_usd: fill.proceeds_usd,
      slippage_bps: fill.slippage_bps,
      executed_at: nowIso(),
      execution_duration_ms: durationMs,
      last_error: null,
    },
    next: {
      step: "apply_fill",
      payload: {
        position_id: positionId,
        fill: {
          order_id: row.order_id,
          sold_amount: sold,
          proceeds_usd: fill.proceeds_usd,
          price_usd: fill.executed_price_usd,
          reason: req.reason === "entry" ? "manual" : req.reason,
          idempotency_key: row.idempotency_key,
        },
      },
    },
    book: (b) => b.sold(positionId, sold, full),
  };
}

/** The step that opens a filled entry's position (simulated or live fill), with what the fill bought. */
export function openPositionStep(
  row: QueueRow,
  req: SwapRequest & { entry: NonNullable<SwapRequest["entry"]> },
  positionId: string,
  fill: {
    price_usd: number;
    amount: string;
    cost_usd: number;
    decimals: number;
    start?: Pick<OpenPositionInput, "template" | "hot">;
  },
): OwedStep {
  const entry = req.entry;
  return {
    step: "open_position",
    payload: {
      position_id: positionId,
      entry_order_id: row.order_id,
      wallet_id: req.wallet_id,
      source_wallet_address: entry.source_wallet_address,
      signal_id: req.signal_id ?? null,
      ...(req.signal_signature ? { signal_signature: req.signal_signature } : {}),
      token_mint: req.token_mint,
      token_decimals: fill.decimals,
      mode: req.mode,
      exit_strategy_id: entry.exit_strategy_id,
      entry_price_usd: fill.price_usd,
      entry_amount: fill.amount,
      entry_cost_usd: fill.cost_usd,
      ...fill.start,
    },
  };
}
