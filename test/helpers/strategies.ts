import type { StrategyRules } from "../../src/domain/exit-strategy";

/**
 * The Default template as 0001_seed.sql first wrote it: 25 % stop, 15 % trail armed at +50 %, 50 % at 2x, 25 % at 3x.
 * The pure rule tests are written against these numbers; a fresh install's Default has the seed's 20 % stop
 * (issue 16's data migration), which the actor and API tests read from D1.
 */
export const DEFAULT_RULES: StrategyRules = {
  stop_loss_percent: 25,
  trailing_stop_percent: 15,
  trailing_activation_percent: 50,
  scaling_levels: [
    { multiple: 2, sell_percent: 50 },
    { multiple: 3, sell_percent: 25 },
  ],
  mirror_exit_enabled: true,
  max_hold_minutes: null,
  take_profit_table: [],
};
