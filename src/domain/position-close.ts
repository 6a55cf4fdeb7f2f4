import type { FillInput } from "./exit-rules";
import type { ExitFill } from "./position";
import type { PositionState } from "./position-state";
import type { PendingExits } from "./position-tick";
import type { ExitReason } from "./vocabulary";

/**
 * How a PositionActor's state moves towards closed: an exit fill applied, a close by reconciliation (sold
 * outside WallTrack), a `closing` position sent back to open when its full exit is gone, and which queued
 * exits the watchdog releases.
 */

/** The fill math's input (src/domain/exit-rules.ts applyExitFill) from the state and one fill. */
export function fillInput(st: PositionState, fill: Pick<ExitFill, "sold_amount" | "proceeds_usd">): FillInput {
  return {
    entry_amount: BigInt(st.entry_amount),
    entry_cost_usd: st.entry_cost_usd,
    current_amount: BigInt(st.current_amount),
    sold_amount_total: BigInt(st.sold_amount),
    exit_proceeds_usd: st.exit_proceeds_usd,
    realized_pnl_usd: st.realized_pnl_usd,
    decimals: st.token_decimals,
    sold: BigInt(fill.sold_amount),
    proceeds_usd: fill.proceeds_usd,
  };
}

export interface FillResult {
  current_amount: bigint;
  sold_amount_total: bigint;
  exit_proceeds_usd: number;
  realized_pnl_usd: number;
  avg_exit_price_usd: number | null;
  closed: boolean;
}

/**
 * The state after a fill; a fill that sold the rest closes the position, with the reason of its first full
 * exit (else the fill's own; read only then, after the fill is recorded).
 */
export function filledState(r: FillResult, nowStr: string, exitReason: () => ExitReason): Partial<PositionState> {
  const amounts: Partial<PositionState> = {
    current_amount: r.current_amount.toString(),
    sold_amount: r.sold_amount_total.toString(),
    exit_proceeds_usd: r.exit_proceeds_usd,
    realized_pnl_usd: r.realized_pnl_usd,
    avg_exit_price_usd: r.avg_exit_price_usd,
  };
  if (!r.closed) return amounts;
  return { ...amounts, status: "closed", closed_at: nowStr, exit_reason: exitReason(), next_poll_at: null };
}

export type SoldExternallyStep = "repeat" | "close" | "already_closed" | "not_open" | "exit_in_flight";

/**
 * Whether reconciliation may close the position as sold outside WallTrack: a repeat of that close only
 * re-writes; an exit of ours decided or queued explains the missing tokens (`pending` is read only then).
 */
export function soldExternallyStep(
  st: Pick<PositionState, "status" | "exit_reason">,
  pending: () => PendingExits,
): SoldExternallyStep {
  if (st.status === "closed") return st.exit_reason === "sold_externally" ? "repeat" : "already_closed";
  if (st.status !== "open") return "not_open";
  const p = pending();
  if (p.full || p.partial > 0n) return "exit_in_flight";
  return "close";
}

/** Closed `sold_externally`: no proceeds invented, the vanished amount kept apart from WallTrack's fills. */
export function soldExternallyState(st: Pick<PositionState, "current_amount">, nowStr: string): Partial<PositionState> {
  return {
    sold_externally_amount: st.current_amount,
    current_amount: "0",
    status: "closed",
    closed_at: nowStr,
    exit_reason: "sold_externally",
    next_poll_at: null,
  };
}

/**
 * closing → open when no full exit is decided or queued any more (null: stays as it is). The key generation
 * moves on, so the rule that had fired (its key already used) can be decided again.
 */
export function reopenedState(
  st: Pick<PositionState, "status" | "retry_gen">,
  pending: () => PendingExits,
): Pick<PositionState, "status" | "retry_gen"> | null {
  if (st.status !== "closing" || pending().full) return null;
  return { status: "open", retry_gen: st.retry_gen + 1 };
}

export type ReleasedExit = { orderId: string; outcome: "cancelled" | "dead"; key: string };

/**
 * The queued exits whose order the queue no longer holds (cancelled, dead, or never recorded). A pending
 * order is live; a done one is filled with its fill owed to us by the queue.
 */
export function exitsToRelease(
  queued: readonly { order_id: string; key: string }[],
  states: Readonly<Record<string, string | undefined>>,
): ReleasedExit[] {
  const released: ReleasedExit[] = [];
  for (const q of queued) {
    const s = states[q.order_id];
    if (s === "pending" || s === "done") continue;
    released.push({ orderId: q.order_id, outcome: s === "cancelled" ? "cancelled" : "dead", key: q.key });
  }
  return released;
}
