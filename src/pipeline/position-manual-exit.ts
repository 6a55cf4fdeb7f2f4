import { exitKey, manualExitPlan } from "../domain/position-exits";
import { type ActResult, idempotencyKeyRefusal, manualReplayConflict } from "../domain/position-requests";
import { enqueueOrSoon, type PositionPorts } from "./position-ports";

export type ManualExitRequest = { percent: number; idempotency_key?: string };
export type ManualExitAnswer = ActResult<{ order_id: string | null; amount: string; replayed: boolean }>;

/**
 * A manual exit of `percent` of what remains (PositionActor.requestExit). The first request with a key
 * decides the exit and records the key with it in one storage transaction (no await in between).
 */
export async function requestExit(p: PositionPorts, input: ManualExitRequest): Promise<ManualExitAnswer> {
  const st = p.state();
  if (!st) return { ok: false, code: "not_found", detail: "position not found" };
  const percent = input.percent;
  const idem = input.idempotency_key;
  const badKey = idempotencyKeyRefusal(idem);
  if (badKey) return badKey;
  if (idem !== undefined) {
    const seen = p.exits.manualRequest(idem);
    if (seen) {
      const conflict = manualReplayConflict(seen.percent, percent);
      if (conflict) return conflict;
      // The first request may still be enqueueing (or its enqueue failed): the queue dedups by the exit's key,
      // so this returns the same order.
      if (p.exits.byKey(seen.exit_key)?.state === "decided") await enqueueOrSoon(p);
      return {
        ok: true,
        order_id: p.exits.byKey(seen.exit_key)?.order_id ?? null,
        amount: seen.amount,
        replayed: true,
      };
    }
  }
  const plan = manualExitPlan(st, p.exits.pending(), percent);
  if (!plan.ok) return plan;
  const { amount, full } = plan;
  st.manual_seq++;
  const key = exitKey(st, "manual", String(st.manual_seq));
  p.storage().transactionSync(() => {
    p.exits.record(key, "manual", amount, full, null, null, null);
    if (idem !== undefined) p.exits.recordManual(idem, percent, key, amount);
    if (full) st.status = "closing";
    p.save();
  });
  await enqueueOrSoon(p);
  await p.d1.sync();
  return { ok: true, order_id: p.exits.byKey(key)?.order_id ?? null, amount: amount.toString(), replayed: false };
}
