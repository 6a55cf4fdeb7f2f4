import type { MirrorExitRequest, MirrorExitResult } from "../domain/swap-order";
import { log } from "../lib/logger";
import type { ExitBook } from "./position-exit-book";

/**
 * Applies the mirror exits owed from before the open, oldest first. Each is idempotent per signal (its exit key),
 * so a run that stops between applying one and deleting it applies nothing twice. A failure leaves the rest
 * owed for the next alarm (armed by open before this runs).
 */
export async function applyOwedMirrors(
  exits: ExitBook,
  positionId: string,
  mirrorExit: (req: MirrorExitRequest) => Promise<MirrorExitResult>,
): Promise<void> {
  for (const o of exits.owedMirrors()) {
    try {
      const res = await mirrorExit(o.request);
      log.info("position_owed_mirror_applied", {
        position_id: positionId,
        sale: o.sale_key,
        queued: res.queued,
        reason: res.reason,
      });
      exits.dropOwedMirror(o);
    } catch (err) {
      log.warn("position_owed_mirror_failed", { position_id: positionId, error: String(err) });
      return;
    }
  }
}
