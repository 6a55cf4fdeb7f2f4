import { exitOrderRequest } from "../domain/position-exits";
import type { PositionState } from "../domain/position-state";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import type { ExitBook } from "./position-exit-book";

/** The SwapQueue stub a PositionActor talks to (the actor's `swapQueue()`, which a test may replace). */
export type SwapQueueStub = ReturnType<Env["SWAP_QUEUE"]["getByName"]>;

/**
 * Enqueues every exit still only "decided", oldest first, with its recorded key. The stub is asked for only
 * when there is something to enqueue, and the state read per exit (a fill may land while one is awaited).
 */
export async function enqueueDecided(
  exits: ExitBook,
  queue: () => SwapQueueStub,
  state: () => PositionState,
): Promise<void> {
  const decided = exits.decided();
  if (decided.length === 0) return;
  const q = queue();
  for (const e of decided) {
    const st = state();
    const res = await q.enqueue(exitOrderRequest(st, e));
    // Mark queued unless a fill or release already moved it on while enqueue was awaited.
    exits.markQueued(e.key, res.order_id, res.status === "cancelled");
    log.info("position_exit_queued", { position_id: st.id, key: e.key, order_id: res.order_id, dup: res.duplicate });
  }
}

/** The queue's state of each of the given orders (none asked when there are none). */
export async function queuedOrderStates(
  queue: () => SwapQueueStub,
  orderIds: string[],
): Promise<Record<string, string | undefined>> {
  if (orderIds.length === 0) return {};
  return (await queue().orderStates(orderIds)) as Record<string, string | undefined>;
}

/**
 * For exits decided outside the alarm: a failed enqueue leaves them "decided", records why on the position
 * and brings the next alarm close, which enqueues them with their keys.
 */
export async function enqueueOrRetrySoon(
  enqueue: () => Promise<void>,
  state: () => PositionState,
  save: () => void,
  storage: DurableObjectStorage,
): Promise<void> {
  try {
    await enqueue();
  } catch (err) {
    const st = state();
    st.last_error = `enqueue failed: ${errorMessage(err)}`;
    save();
    log.warn("position_exit_enqueue_failed", { position_id: st.id, error: st.last_error });
    await storage.setAlarm(Date.now() + 5_000);
  }
}
