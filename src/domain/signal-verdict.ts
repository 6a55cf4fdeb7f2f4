// How a decided signal says it was filtered: the one shape every finished WalletActor row gives its signal.
import { filterDetail } from "./record-filter";
import type { FilterReason } from "./signal-filters";

/**
 * The verdict columns of a finished signal: a reason filters it with its detail (and the numbers it was decided
 * on); a bare `filtered` keeps it filtered as recorded; neither leaves the columns as they are (passed).
 */
export function signalVerdict(
  filterReason: FilterReason | null | undefined,
  filtered: boolean | null | undefined,
  detail?: string,
  numbers?: Record<string, unknown>,
): { filtered?: true; filter_reason?: FilterReason; filter_detail?: string | null } {
  return filterReason
    ? { filtered: true, filter_reason: filterReason, filter_detail: filterDetail(detail, numbers) }
    : filtered
      ? { filtered: true }
      : {};
}
