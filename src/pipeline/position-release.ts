import { needsHealing } from "../domain/position-calls";
import { exitsToRelease, reopenedState } from "../domain/position-close";
import { log } from "../lib/logger";
import { openState, type PositionPorts } from "./position-ports";
import { queuedOrderStates } from "./position-queue";

export type Released = { orderId: string; outcome: "cancelled" | "dead"; key?: string };

/**
 * Marks given exits released; a closing position left without a live full exit goes back to open and is
 * re-evaluated at once (its stop is decided again, under a new key generation when the exit died).
 */
export async function releaseExits(p: PositionPorts, released: Released[]): Promise<void> {
  const st = openState(p);
  let reopened = false;
  p.storage().transactionSync(() => {
    p.exits.release(released);
    // closing → open when no full exit is decided or queued any more (src/domain/position-close.ts).
    const back = reopenedState(openState(p), () => p.exits.pending());
    if (back) Object.assign(openState(p), back);
    reopened = back != null;
    p.save();
  });
  if (reopened) {
    await p.storage().setAlarm(Date.now());
    log.warn("position_reopened", { position_id: st.id, retry_gen: st.retry_gen });
  }
  await p.d1.sync();
}

/**
 * Watchdog: exits queued here whose order the queue no longer holds (cancelled, dead, or never recorded) are
 * released, as the queue's own release would have done; a `closing` position left without a live full exit
 * goes back to open. Returns how many exits it released (plus one when it only had to reopen).
 */
export async function healExits(p: PositionPorts): Promise<number> {
  const st = openState(p);
  const queued = p.exits.queued();
  const states = await queuedOrderStates(
    () => p.swapQueue(),
    queued.map((q) => q.order_id),
  );
  const released = exitsToRelease(queued, states);
  if (!needsHealing(released.length, st.status, () => p.exits.pending().full)) return 0;
  log.warn("position_exits_healed", { position_id: st.id, released: released.map((r) => r.orderId) });
  await releaseExits(p, released);
  return Math.max(released.length, 1);
}
