import { soldExternallyState, soldExternallyStep } from "../domain/position-close";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { PositionPorts } from "./position-ports";

export type SoldExternallyAnswer = {
  closed: boolean;
  reason?: "not_found" | "already_closed" | "not_open" | "exit_in_flight";
};

/**
 * Closes the position `sold_externally` (PositionActor.closeSoldExternally, issue 12), or answers why not.
 * A repeat of a close already done only tells the queue again and re-writes the D1 row.
 */
export async function closeSoldExternally(p: PositionPorts, observations: number): Promise<SoldExternallyAnswer> {
  const st = p.state();
  if (!st) return { closed: false, reason: "not_found" };
  const step = soldExternallyStep(st, () => p.exits.pending());
  if (step === "repeat") {
    await p.swapQueue().positionClosedOutside(st.id);
    await p.d1.sync();
    return { closed: true };
  }
  if (step !== "close") return { closed: false, reason: step };
  const nowStr = nowIso();
  p.storage().transactionSync(() => {
    Object.assign(st, soldExternallyState(st, nowStr));
    p.save();
  });
  await p.storage().deleteAlarm();
  log.warn("position_closed", {
    position_id: st.id,
    reason: "sold_externally",
    amount: st.sold_externally_amount,
    observations,
  });
  // The queue's exposure book only learns of closes through its own fills; a repeat of this call repeats it.
  await p.swapQueue().positionClosedOutside(st.id);
  await p.d1.sync();
  return { closed: true };
}
