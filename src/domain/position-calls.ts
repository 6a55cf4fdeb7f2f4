import type { Config } from "./config";
import { mergeStrategy, type StrategyRules } from "./exit-strategy";
import { DEFAULT_URGENT_SECONDS } from "./position-poll";
import type { PositionState, Status } from "./position-state";

/**
 * The small decisions inside a PositionActor's calls: which rules a position decides with, the interval a
 * poll leaves behind, whether a fill's amount can be applied, whether the watchdog has anything to heal.
 */

/** The template merged with the override. Never decide an exit without them: the caller fails and is retried. */
export function positionRules(st: Pick<PositionState, "template_rules" | "strategy_override">): StrategyRules {
  if (!st.template_rules) throw new Error("exit strategy not loaded yet");
  return mergeStrategy(st.template_rules, st.strategy_override);
}

/** The urgent poll interval; a config that cannot be read (null) leaves the default. */
export function urgentSeconds(cfg: Pick<Config, "poll_urgent_seconds"> | null | undefined): number {
  return cfg?.poll_urgent_seconds ?? DEFAULT_URGENT_SECONDS;
}

/**
 * The interval a poll run leaves: the one it decided, else (it failed before deciding) the urgent one, so a
 * failing position is retried soon.
 */
export function intervalAfterRun(
  decided: number | null,
  cfg: Pick<Config, "poll_urgent_seconds"> | null,
): { seconds: number; urgent: boolean } {
  if (decided != null) return { seconds: decided, urgent: false };
  return { seconds: urgentSeconds(cfg), urgent: true };
}

/** A fill sells a whole number of base units (a string of digits); anything else is not applied. */
export function isSoldAmount(sold: string): boolean {
  return /^\d+$/.test(sold);
}

/**
 * Whether the watchdog has work: an exit to release, or a `closing` position left without a live full exit
 * (it goes back to open). The pending exits are read only for that.
 */
export function needsHealing(released: number, status: Status, pendingFull: () => boolean): boolean {
  return released > 0 || (status === "closing" && !pendingFull());
}
