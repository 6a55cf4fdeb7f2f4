import { minutesHeld, takeProfitInForce, trailingArmed } from "./exit-rules";
import type { StrategyRules } from "./exit-strategy";

/**
 * The exit levels in force for an open position, as prices, for the operator to see (dashboard list,
 * detail chart). The same rules as `evaluateExits`, read the other way: where each rule would fire.
 */
export interface ExitLevelsInput {
  rules: StrategyRules;
  entry_price_usd: number;
  peak_price_usd: number | null;
  current_price_usd: number | null;
  trailing_active: boolean;
  scaling_levels_hit: readonly number[];
  opened_at_ms: number;
  now_ms: number;
}

export interface ExitLevels {
  stop_loss_usd: number | null;
  trailing: { stop_usd: number | null; armed: boolean; activation_usd: number | null } | null;
  next_scaling: { index: number; multiple: number; price_usd: number; sell_percent: number } | null;
  take_profit: { after_minutes: number; min_profit_percent: number; price_usd: number } | null;
  time_exit_at_ms: number | null;
}

export function exitLevels(p: ExitLevelsInput): ExitLevels {
  const { rules, entry_price_usd: entry } = p;
  const peak = Math.max(p.peak_price_usd ?? entry, p.current_price_usd ?? entry);
  const armed = trailingArmed(rules, entry, peak, p.trailing_active);
  const next = rules.scaling_levels
    .map((l, index) => ({ ...l, index }))
    .find((l) => !p.scaling_levels_hit.includes(l.index));
  const tp = takeProfitInForce(rules, minutesHeld(p.opened_at_ms, p.now_ms));
  return {
    stop_loss_usd: rules.stop_loss_percent == null ? null : entry * (1 - rules.stop_loss_percent / 100),
    trailing:
      rules.trailing_stop_percent == null
        ? null
        : {
            armed,
            stop_usd: armed ? peak * (1 - rules.trailing_stop_percent / 100) : null,
            activation_usd: entry * (1 + (rules.trailing_activation_percent ?? 0) / 100),
          },
    next_scaling: next
      ? {
          index: next.index,
          multiple: next.multiple,
          price_usd: entry * next.multiple,
          sell_percent: next.sell_percent,
        }
      : null,
    take_profit: tp ? { ...tp, price_usd: entry * (1 + tp.min_profit_percent / 100) } : null,
    time_exit_at_ms: rules.max_hold_minutes == null ? null : p.opened_at_ms + rules.max_hold_minutes * 60_000,
  };
}
