import type { OpenPositionInput } from "../domain/position";
import type { HotSnapshot } from "./hot-state";
import { type PositionHotState, type QueueHotState, templateFor } from "./queue-hot-state";

/**
 * What the SwapQueue's hot snapshot hands to positions: the versioned config a PositionActor caches, and the
 * template and config a filled entry opens its position with.
 */

/** The position's share of the snapshot, or null when the position already holds this version (or newer). */
export function positionSnapshot(
  data: QueueHotState,
  version: number,
  known: number | null,
): HotSnapshot<PositionHotState> | null {
  if (known != null && known >= version) return null;
  return { version, data: { config: data.config } };
}

/** The template and versioned config a filled entry hands to its position (nothing when none is cached). */
export function positionStartOf(
  snap: HotSnapshot<QueueHotState> | null,
  strategyId: number | null,
): Pick<OpenPositionInput, "template" | "hot"> {
  if (!snap) return {};
  const template = templateFor(snap.data, strategyId);
  return { ...(template ? { template } : {}), hot: { version: snap.version, data: { config: snap.data.config } } };
}
