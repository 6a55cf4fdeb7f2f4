import type { StrategyRules } from "../domain/exit-strategy";
import type { PositionState } from "../domain/position-state";
import { nowIso } from "../lib/time";
import type { ExitBook } from "./position-exit-book";
import type { StuckExits } from "./position-stuck";

/** A PositionActor's position, rules, exits and a price-history summary, for the API (null: not open). */
export function positionSummary(
  st: PositionState | null,
  rules: () => StrategyRules,
  stuckExits: StuckExits,
  exits: ExitBook,
) {
  if (!st) return null;
  return {
    rules: st.template_rules ? rules() : null,
    strategy_override: st.strategy_override,
    poll_mode: st.poll_mode,
    last_error: st.last_error,
    stuck_exit: stuckExits.current(),
    exits: exits.all(),
    price_history: exits.priceHistory(),
  };
}

/** Identity and health of one PositionActor instance. */
export async function positionActorStatus(ctx: DurableObjectState, st: PositionState | null) {
  return {
    actor: "PositionActor",
    id: ctx.id.toString(),
    name: ctx.id.name ?? null,
    position_id: st?.id ?? null,
    position_status: st?.status ?? null,
    next_alarm_at: await ctx.storage.getAlarm().then((a) => (a == null ? null : nowIso(a))),
  };
}
