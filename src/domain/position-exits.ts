import { fractionOf } from "./exit-rules";
import type { SellableRequest, SellableResult } from "./position";
import type { ExitRow, PositionState } from "./position-state";
import type { PendingExits } from "./position-tick";
import { type MirrorExitRequest, priorityFor, type SwapRequest } from "./swap-order";
import type { ExitReason } from "./vocabulary";

/**
 * The PositionActor's exit decisions that need no storage (issue 10: an actor keeps state, timers and I/O;
 * what it decides is here): the exit's idempotency key, the sell order it becomes, what an exit may still
 * sell, and the checks a mirror or manual exit passes before it is recorded.
 */

/** `<position>:<rule>[:<level|signal|n>]`, with a generation suffix once a dead full exit was released. */
export function exitKey(
  st: Pick<PositionState, "id" | "retry_gen">,
  reason: ExitReason,
  detail: string | undefined,
): string {
  const base = detail === undefined ? `${st.id}:${reason}` : `${st.id}:${reason}:${detail}`;
  const fullReason = reason !== "scaling_out" && reason !== "mirror_exit" && reason !== "manual";
  return fullReason && st.retry_gen > 0 ? `${base}:r${st.retry_gen}` : base;
}

/**
 * What keys a leader sale's mirror exit on a position (its exit key's detail, its owed row): the SELL's signature,
 * or its signal id for a sale recorded by an older version (the key its exit already has).
 */
export function mirrorSaleKey(req: Pick<MirrorExitRequest, "signal_id" | "transaction_signature">): string {
  return req.signal_id != null ? String(req.signal_id) : req.transaction_signature;
}

/** The SELL's signature in a mirror exit's key `<position>:mirror_exit:<signature>` (null: keyed by a signal id). */
function mirrorSignature(st: Pick<PositionState, "id">, e: ExitRow): string | null {
  const detail = e.key.slice(`${st.id}:mirror_exit:`.length);
  return e.reason === "mirror_exit" && e.signal_id == null && detail.length > 0 ? detail : null;
}

/** The sell order of a decided exit, enqueued with the exit's recorded key (so a repeat is the same order). */
export function exitOrderRequest(st: PositionState, e: ExitRow): SwapRequest {
  return {
    idempotency_key: e.key,
    side: "sell",
    priority: priorityFor(e.reason),
    mode: st.mode,
    token_mint: st.token_mint,
    wallet_id: st.wallet_id,
    // Only a mirror exit comes from a signal; rule and manual exits belong to the position alone.
    signal_id: e.reason === "mirror_exit" ? e.signal_id : null,
    ...(mirrorSignature(st, e) ? { signal_signature: mirrorSignature(st, e) as string } : {}),
    position_id: st.id,
    reason: e.reason,
    sell_amount: e.amount,
    sell_fraction: e.full === 1 ? 1 : Number(e.amount) / Math.max(1, Number(st.current_amount)),
    ...(e.price_usd != null ? { trigger_price_usd: e.price_usd } : {}),
    ...(e.reason === "scaling_out" && e.level != null ? { scaling_level: e.level } : {}),
  };
}

/** What an exit order may sell now: a full exit takes what remains, a partial its amount capped by it. */
export function sellableAmount(st: Pick<PositionState, "current_amount" | "status">, req: SellableRequest): bigint {
  const remaining = BigInt(st.current_amount);
  if (st.status === "closed" || remaining <= 0n) return 0n;
  const want = req.full || req.amount === undefined ? remaining : BigInt(req.amount);
  return want > remaining ? remaining : want;
}

/** The queue's answer to what an exit order may sell now, with what the position still holds. */
export function sellableResult(
  st: Pick<PositionState, "current_amount" | "status" | "token_decimals" | "token_mint">,
  req: SellableRequest,
): SellableResult {
  return {
    amount: sellableAmount(st, req).toString(),
    token_decimals: st.token_decimals,
    token_mint: st.token_mint,
    status: st.status,
    remaining: st.current_amount,
  };
}

/** Why a leader's sale does not reach this (open) position, or null when its mirror exit applies. */
export function mirrorRefusal(
  st: Pick<PositionState, "source_wallet_address" | "token_mint" | "status">,
  req: MirrorExitRequest,
  mirrorEnabled: () => boolean,
): string | null {
  if (st.source_wallet_address !== req.leader_address) return "other_leader";
  if (st.token_mint !== req.token_mint) return "other_token";
  if (st.status === "closed") return "position_closed";
  if (!mirrorEnabled()) return "mirror_exit_disabled";
  if (!(req.fraction > 0 && req.fraction <= 1 + 1e-9)) return "bad_fraction";
  return null;
}

export type ManualExitPlan =
  | { ok: true; amount: bigint; full: boolean }
  | { ok: false; code: "closed" | "invalid"; detail: string };

/** A manual exit of `percent` of what remains and is not already being sold (100 = everything). */
export function manualExitPlan(
  st: Pick<PositionState, "current_amount" | "status">,
  pending: PendingExits,
  percent: number,
): ManualExitPlan {
  if (st.status === "closed") return { ok: false, code: "closed", detail: "position is already closed" };
  if (!(Number.isFinite(percent) && percent > 0 && percent <= 100))
    return { ok: false, code: "invalid", detail: "percent: must be in (0, 100]" };
  const available = BigInt(st.current_amount) - pending.partial;
  if (pending.full || available <= 0n)
    return { ok: false, code: "closed", detail: "a full exit is already queued for this position" };
  const full = percent >= 100;
  const amount = full ? available : fractionOf(available, percent / 100);
  if (amount <= 0n) return { ok: false, code: "invalid", detail: "percent: sells less than one base unit" };
  return { ok: true, amount, full };
}
