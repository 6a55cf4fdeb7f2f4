import { positionRules } from "../domain/position-calls";
import { exitKey, mirrorRefusal, mirrorSaleKey } from "../domain/position-exits";
import { mirrorExitAnswer } from "../domain/position-requests";
import { isMirrorRequest } from "../domain/position-state";
import { mirrorExitAmount } from "../domain/position-tick";
import type { MirrorExitRequest, MirrorExitResult } from "../domain/swap-order";
import { log } from "../lib/logger";
import { enqueueOrSoon, openState, type PositionPorts } from "./position-ports";

/**
 * Sells the share of the position the leader sold (PositionActor.mirrorExit, FR-7), idempotent per signal.
 * `name` is the actor's name, the position id of a position not opened yet.
 */
export async function mirrorExit(
  p: PositionPorts,
  req: MirrorExitRequest,
  name: string | undefined,
): Promise<MirrorExitResult> {
  const st = p.state();
  const id = st?.id ?? name ?? "";
  if (!st) {
    // Not open yet: the entry is executing or filled (the SwapQueue said so). The exit is owed, kept here
    // durably and applied as soon as open() runs — never only in memory (issue 9).
    if (!isMirrorRequest(req)) return { position_id: id, queued: false, reason: "bad_request" };
    p.exits.oweMirror(req);
    log.info("position_mirror_owed", { position_id: id, sale: mirrorSaleKey(req), fraction: req.fraction });
    return { position_id: id, queued: false, reason: "owed_until_open" };
  }
  const refused = mirrorRefusal(st, req, () => positionRules(openState(p)).mirror_exit_enabled);
  if (refused) return { position_id: id, queued: false, reason: refused };
  const key = exitKey(st, "mirror_exit", mirrorSaleKey(req));
  const known = p.exits.byKey(key);
  if (!known) {
    const sell = mirrorExitAmount(BigInt(st.current_amount), p.exits.pending(), req.fraction);
    if (!sell) return { position_id: id, queued: false, reason: "nothing_to_sell" };
    p.storage().transactionSync(() => {
      p.exits.record(key, "mirror_exit", sell.amount, sell.full, null, req.signal_id ?? null, null);
      if (sell.full) st.status = "closing";
      p.save();
    });
  }
  await enqueueOrSoon(p);
  const row = p.exits.byKey(key);
  await p.d1.sync();
  return mirrorExitAnswer(id, row);
}
