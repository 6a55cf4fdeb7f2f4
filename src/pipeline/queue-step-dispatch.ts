import type { OwedLedger, OwedStep } from "./queue-owed";

/**
 * One owed step of a SwapQueue order, sent where it is owed: the D1 steps to the ledger's write-behind, the
 * others to the order's PositionActor. Each is idempotent (D1 writes are guarded, the PositionActor dedups by
 * order id), so a retry after a failure or an eviction repeats nothing.
 */
export async function runOwedStep(env: Env, owed: OwedLedger, s: OwedStep, orderId: string): Promise<void> {
  switch (s.step) {
    case "d1_order":
    case "d1_note":
    case "signal_filtered":
      return owed.runD1(s, orderId);
    case "open_position":
      await env.POSITION_ACTOR.getByName(s.payload.position_id).open(s.payload);
      return;
    case "apply_fill":
      await env.POSITION_ACTOR.getByName(s.payload.position_id).applyFill(s.payload.fill);
      return;
    case "d1_position":
      await env.POSITION_ACTOR.getByName(s.payload.position_id).flushD1();
      return;
    case "release":
      return env.POSITION_ACTOR.getByName(s.payload.position_id).releaseOrder(
        orderId,
        s.payload.outcome,
        s.payload.key,
      );
  }
}
