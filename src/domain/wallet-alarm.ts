// When the WalletActor's alarm comes back after a run.

/**
 * The soonest of the times owed (null ones ignored), never sooner than `minDelayMs` from now (a failed run backs
 * off longer); null: nothing is owed and no alarm is set.
 */
export function nextAlarmAt(owed: readonly (number | null | undefined)[], nowMs: number, minDelayMs: number) {
  const next = owed.reduce<number | null>((m, t) => (t == null ? m : m == null ? t : Math.min(m, t)), null);
  return next == null ? null : Math.max(next, nowMs + minDelayMs);
}

/**
 * When the alarm comes back for rows a chain holds: only if the chain died with the object (an eviction);
 * a live chain finishes them first and re-arms for any retry it leaves.
 */
export const SAFETY_NET_MS = 5000;

/**
 * The alarm's next time after a run: the soonest active row no chain holds, the safety net for the rows a chain
 * holds (theirs until it ends), and the signals still owed to D1. `soonest`: the active rows by due time, at
 * least one more than the chains hold.
 */
export function alarmAfterRun(
  soonest: readonly { signature: string; t: number }[],
  held: (signature: string) => boolean,
  owedSignalsAt: number | null,
  nowMs: number,
  minDelayMs: number,
): number | null {
  const free = soonest.find((r) => !held(r.signature))?.t;
  const heldAt = soonest.some((r) => held(r.signature)) ? nowMs + SAFETY_NET_MS : null;
  return nextAlarmAt([free, heldAt, owedSignalsAt], nowMs, minDelayMs);
}
