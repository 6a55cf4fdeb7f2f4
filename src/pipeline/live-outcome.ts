import type { OrderPatch } from "../db/orders-store";
import type { LiveOrderState } from "../domain/live-order";
import { LAMPORTS_PER_SOL } from "../domain/live-sizing";
import { positionIdFor } from "../domain/position";
import type { SwapRequest } from "../domain/swap-order";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { LiveOrderContext } from "./live-orders";
import { originOf, type QueueBook } from "./queue-book";
import { givenUpSteps, openPositionStep } from "./queue-outcomes";
import type { OwedLedger, OwedStep } from "./queue-owed";
import { type QueueRow, writeDeadLetter } from "./queue-storage";

/**
 * What a terminal live order means for the SwapQueue (issue 11), written in the SAME storage transaction as
 * the terminal state: an executed order is `done` with the fill read from the confirmed transaction (the
 * book, the position's open or exit fill and the D1 row owed); a failed or expired one is `dead` (the dead
 * letter, the D1 row, the signal's outcome or the exit's release owed). The owed steps then run until done.
 */
export interface OutcomeDeps {
  sql: SqlStorage;
  owed: OwedLedger;
  book: QueueBook;
}

const usdOf = (lamports: string, solPrice: number) => (Number(lamports) / LAMPORTS_PER_SOL) * solPrice;
const units = (amount: bigint | string, decimals: number) => Number(amount) / 10 ** decimals;

/** Timings of the order row: from the intent to the fill (ms), as the executor recorded them. */
export const liveDurationMs = (s: LiveOrderState) =>
  s.timings.pending !== undefined ? Math.max(0, (s.timings[s.status] ?? s.updated_at) - s.timings.pending) : null;

/** The D1 row's progress once the transaction is sent (its signature visible to the operator), or null. */
export function liveProgressStep(
  prev: { status: string; signature: string | null } | null,
  s: LiveOrderState,
): OwedStep | null {
  if (s.status !== "submitted" || (prev?.status === "submitted" && prev.signature === s.signature)) return null;
  return {
    step: "d1_order",
    payload: {
      status: "submitted",
      tx_signature: s.signature,
      last_valid_block_height: s.last_valid_block_height,
      requested_amount: s.sized_amount,
      attempts: s.attempt,
    },
  };
}

export function liveOutcomeWrite(
  d: OutcomeDeps,
  row: QueueRow,
  req: SwapRequest,
  s: LiveOrderState,
  c: LiveOrderContext,
): void {
  const fill = s.fill;
  if (s.status === "executed" && fill && BigInt(fill.token_amount) > 0n) {
    filled(d, row, req, s, c);
    return;
  }
  const reason =
    s.status === "executed" ? "FILL_EMPTY: the confirmed transaction moved none of the token" : s.terminal_reason;
  dead(d, row, req, s, reason ?? `live order ${s.status}`);
}

function common(s: LiveOrderState): OrderPatch {
  const fill = s.fill;
  const slot = Number((s.quote as { contextSlot?: unknown } | null)?.contextSlot);
  return {
    status: "filled",
    tx_signature: fill?.signature ?? s.signature,
    landed_slot: fill?.slot ?? null,
    last_valid_block_height: s.last_valid_block_height,
    quote_context_slot: Number.isFinite(slot) ? slot : null,
    requested_amount: s.sized_amount,
    attempts: s.attempt,
    executed_at: nowIso(),
    execution_duration_ms: liveDurationMs(s),
    last_error: null,
  };
}

function filled(d: OutcomeDeps, row: QueueRow, req: SwapRequest, s: LiveOrderState, c: LiveOrderContext) {
  const fill = s.fill as NonNullable<LiveOrderState["fill"]>;
  const decimals = fill.token_decimals ?? c.token_decimals;
  const tokens = BigInt(fill.token_amount);
  const usd = usdOf(fill.sol_lamports, c.sol_price_usd);
  const quotedOut = s.quoted_out_amount ? BigInt(s.quoted_out_amount) : null;
  let patch: OrderPatch;
  let next: OwedStep;
  if (req.side === "buy") {
    const entry = req.entry as NonNullable<SwapRequest["entry"]>;
    const positionId = positionIdFor(row.order_id);
    const price = usd / units(tokens, decimals);
    const spentUsd = usdOf(s.sized_amount ?? fill.sol_lamports, c.sol_price_usd);
    patch = {
      ...common(s),
      position_id: positionId,
      expected_out_amount: s.quoted_out_amount,
      expected_price_usd: quotedOut && quotedOut > 0n ? spentUsd / units(quotedOut, decimals) : null,
      executed_in_amount: fill.sol_lamports,
      executed_out_amount: tokens.toString(),
      executed_usd: usd,
      executed_price_usd: price,
      slippage_bps: quotedOut && quotedOut > 0n ? (1 - Number(tokens) / Number(quotedOut)) * 10_000 : null,
    };
    next = openPositionStep(row, { ...req, entry }, positionId, {
      price_usd: price,
      amount: tokens.toString(),
      cost_usd: usd,
      decimals,
    });
    d.book.opened(positionId, usd, tokens.toString(), originOf(req));
  } else {
    const positionId = req.position_id as string;
    const recorded = BigInt(c.recorded_amount ?? tokens.toString());
    // A full exit empties the position (the wallet held its real amount, within 2 % of the records); a
    // partial one removes what really left the wallet, never more than the position holds.
    const sold = c.full ? recorded : tokens < recorded ? tokens : recorded;
    const price = usd / units(sold, decimals);
    patch = {
      ...common(s),
      expected_out_amount: s.quoted_out_amount,
      expected_price_usd:
        quotedOut && quotedOut > 0n ? usdOf(quotedOut.toString(), c.sol_price_usd) / units(tokens, decimals) : null,
      executed_in_amount: tokens.toString(),
      executed_out_amount: fill.sol_lamports,
      executed_usd: usd,
      executed_price_usd: price,
      slippage_bps: quotedOut && quotedOut > 0n ? (1 - Number(fill.sol_lamports) / Number(quotedOut)) * 10_000 : null,
    };
    next = {
      step: "apply_fill",
      payload: {
        position_id: positionId,
        fill: {
          order_id: row.order_id,
          sold_amount: sold.toString(),
          proceeds_usd: usd,
          price_usd: price,
          reason: req.reason === "entry" ? "manual" : req.reason,
          idempotency_key: row.idempotency_key,
        },
      },
    };
    d.book.sold(positionId, sold.toString(), Boolean(c.full));
  }
  d.sql.exec("UPDATE queue SET state = 'done', finished_at_ms = ? WHERE order_id = ?", Date.now(), row.order_id);
  d.owed.record(row.order_id, [next, { step: "d1_order", payload: patch }]);
  log.info("order_filled", { order_id: row.order_id, side: req.side, reason: req.reason, live: true });
}

function dead(d: OutcomeDeps, row: QueueRow, req: SwapRequest, s: LiveOrderState, message: string) {
  const attempts = row.attempts + 1;
  const steps = givenUpSteps(
    row,
    req,
    { status: "dead", attempts, message },
    { tx_signature: s.signature, requested_amount: s.sized_amount },
  );
  writeDeadLetter(d.sql, row, attempts, message);
  d.owed.record(row.order_id, steps);
  log.error("order_dead_lettered", { order_id: row.order_id, attempts, error: message, live: true });
}
