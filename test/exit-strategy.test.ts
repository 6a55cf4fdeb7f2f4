import { describe, expect, it } from "vitest";
import {
  mergeStrategy,
  StrategyOverrideSchema,
  StrategyRulesSchema,
  strategyProblems,
} from "../src/domain/exit-strategy";
import { DEFAULT_RULES } from "./helpers/strategies";

const rules = DEFAULT_RULES;

describe("exit-strategy rules", () => {
  it("accept the seeded Default template", () => {
    expect(StrategyRulesSchema.safeParse(rules).success).toBe(true);
  });

  it("refuse scaling levels summing over 100 % or not strictly increasing, naming the field", () => {
    const over = StrategyRulesSchema.safeParse({
      ...rules,
      scaling_levels: [
        { multiple: 2, sell_percent: 60 },
        { multiple: 3, sell_percent: 41 },
      ],
    });
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.path).toEqual(["scaling_levels"]);
    const flat = StrategyRulesSchema.safeParse({
      ...rules,
      scaling_levels: [
        { multiple: 2, sell_percent: 10 },
        { multiple: 2, sell_percent: 10 },
      ],
    });
    expect(flat.error?.issues[0]?.path).toEqual(["scaling_levels", "1", "multiple"]);
    expect(
      StrategyRulesSchema.safeParse({
        ...rules,
        scaling_levels: [
          { multiple: 2, sell_percent: 50 },
          { multiple: 3, sell_percent: 50 },
        ],
      }).success,
    ).toBe(true);
  });

  it("refuse out-of-range percentages and unknown fields", () => {
    expect(StrategyRulesSchema.safeParse({ ...rules, stop_loss_percent: 101 }).error?.issues[0]?.path).toEqual([
      "stop_loss_percent",
    ]);
    expect(StrategyRulesSchema.safeParse({ ...rules, stop_loss_percent: 0 }).success).toBe(false);
    expect(
      StrategyRulesSchema.safeParse({ ...rules, scaling_levels: [{ multiple: 1, sell_percent: 10 }] }).success,
    ).toBe(false);
    expect(StrategyOverrideSchema.safeParse({ stop_loss: 10 }).success).toBe(false);
  });

  it("merge an override over a template, arrays replaced whole, and re-check the result", () => {
    const merged = mergeStrategy(rules, {
      stop_loss_percent: 10,
      scaling_levels: [{ multiple: 5, sell_percent: 100 }],
    });
    expect(merged).toMatchObject({
      stop_loss_percent: 10,
      trailing_stop_percent: 15,
      scaling_levels: [{ multiple: 5, sell_percent: 100 }],
    });
    expect(strategyProblems(merged)).toEqual([]);
    expect(mergeStrategy(rules, null)).toBe(rules);
    const broken = mergeStrategy(rules, { trailing_stop_percent: null });
    expect(strategyProblems(broken)).toEqual([
      "trailing_activation_percent: set trailing_stop_percent too, or clear the activation",
    ]);
  });
});
