// When the WalletActor's alarm comes back after a run.

/**
 * The soonest of the times owed (null ones ignored), never sooner than `minDelayMs` from now (a failed run backs
 * off longer); null: nothing is owed and no alarm is set.
 */
export function nextAlarmAt(owed: readonly (number | null | undefined)[], nowMs: number, minDelayMs: number) {
  const next = owed.reduce<number | null>((m, t) => (t == null ? m : m == null ? t : Math.min(m, t)), null);
  return next == null ? null : Math.max(next, nowMs + minDelayMs);
}
