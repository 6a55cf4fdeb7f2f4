import { applyExitFill } from "../domain/exit-rules";
import type { ExitFill } from "../domain/position";
import { isSoldAmount } from "../domain/position-calls";
import { filledState, fillInput } from "../domain/position-close";
import type { Status } from "../domain/position-state";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { checkBreakerAfterClose } from "./position-breaker";
import type { PositionPorts } from "./position-ports";

export type FillAnswer = { applied: boolean; status: Status; current_amount: string };

/**
 * Applies one filled exit (PositionActor.applyFill), idempotent per order id. The follow-ups (the D1 row, the
 * breaker check of a closed trade) throw on failure so the SwapQueue retries; a repeat redoes only those.
 */
export async function applyFill(p: PositionPorts, fill: ExitFill): Promise<FillAnswer> {
  const st = p.state();
  if (!st) throw new Error("position not found");
  if (!isSoldAmount(fill.sold_amount)) return { applied: false, status: st.status, current_amount: st.current_amount };
  if (p.exits.fillSeen(fill.order_id)) {
    await p.d1.sync();
    if (st.status === "closed") await checkBreaker(p);
    return { applied: false, status: st.status, current_amount: st.current_amount };
  }
  const r = applyExitFill(fillInput(st, fill));
  const nowStr = nowIso();
  p.storage().transactionSync(() => {
    p.exits.recordFill(fill, r.sold, nowStr);
    Object.assign(
      st,
      filledState(r, nowStr, () => p.exits.firstFullReason() ?? fill.reason),
    );
    p.save();
  });
  if (r.closed) {
    await p.storage().deleteAlarm();
    log.info("position_closed", { position_id: st.id, reason: st.exit_reason, realized: st.realized_pnl_usd });
  }
  await p.d1.sync();
  if (r.closed) await checkBreaker(p);
  return { applied: true, status: st.status, current_amount: st.current_amount };
}

/** A closed trade may trip the breaker; a failure throws, so the SwapQueue retries the fill. */
function checkBreaker(p: PositionPorts): Promise<void> {
  return checkBreakerAfterClose(p.env(), () => p.hotConfig(), p.state()?.id);
}
