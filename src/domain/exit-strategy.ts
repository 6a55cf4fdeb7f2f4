import { z } from "@hono/zod-openapi";

/**
 * Exit-strategy rules (DESIGN §4): a catalog template merged with a per-position JSON override.
 * Percent values are positive numbers of percent (25 = 25 %). A null rule is disabled.
 */
export const ScalingLevelSchema = z
  .object({
    multiple: z
      .number()
      .gt(1)
      .max(10_000)
      .openapi({ description: "price multiple of entry that triggers", example: 2 }),
    sell_percent: z
      .number()
      .gt(0)
      .max(100)
      .openapi({ description: "percent of the ENTRY amount to sell", example: 50 }),
  })
  .strict()
  .openapi("ScalingLevel");

export const TakeProfitStepSchema = z
  .object({
    after_minutes: z.number().int().min(0).max(525_600),
    min_profit_percent: z.number().min(-99).max(1_000_000),
  })
  .strict()
  .openapi("TakeProfitStep");

const ruleFields = {
  stop_loss_percent: z.number().gt(0).max(100).nullable(),
  trailing_stop_percent: z.number().gt(0).max(100).nullable(),
  trailing_activation_percent: z.number().min(0).max(1_000_000).nullable(),
  scaling_levels: z.array(ScalingLevelSchema).max(20),
  mirror_exit_enabled: z.boolean(),
  max_hold_minutes: z.number().int().positive().max(525_600).nullable(),
  // Any row order is accepted (like freqtrade's minimal_roi) and stored sorted by time.
  take_profit_table: z
    .array(TakeProfitStepSchema)
    .max(50)
    .transform((rows) => sortTakeProfit(rows)),
};

/** Take-profit rows by ascending `after_minutes` (a copy). */
export function sortTakeProfit<T extends { after_minutes: number }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => a.after_minutes - b.after_minutes);
}

export type StrategyRules = {
  stop_loss_percent: number | null;
  trailing_stop_percent: number | null;
  trailing_activation_percent: number | null;
  scaling_levels: { multiple: number; sell_percent: number }[];
  mirror_exit_enabled: boolean;
  max_hold_minutes: number | null;
  take_profit_table: { after_minutes: number; min_profit_percent: number }[];
};

/** Rules that need the whole set: returns `field: message` problems (empty = valid). */
export function strategyProblems(r: StrategyRules): string[] {
  const problems: string[] = [];
  const total = r.scaling_levels.reduce((s, l) => s + l.sell_percent, 0);
  if (total > 100 + 1e-9) problems.push(`scaling_levels: sell_percent values sum to ${total}, more than 100`);
  r.scaling_levels.forEach((l, i) => {
    const prev = r.scaling_levels[i - 1];
    if (prev && !(l.multiple > prev.multiple))
      problems.push(
        `scaling_levels.${i}.multiple: multiples must be strictly increasing (${prev.multiple} then ${l.multiple})`,
      );
  });
  const seen = new Set<number>();
  r.take_profit_table.forEach((s, i) => {
    if (seen.has(s.after_minutes))
      problems.push(`take_profit_table.${i}.after_minutes: ${s.after_minutes} appears twice; one row per time`);
    seen.add(s.after_minutes);
  });
  if (r.trailing_activation_percent != null && r.trailing_stop_percent == null)
    problems.push("trailing_activation_percent: set trailing_stop_percent too, or clear the activation");
  return problems;
}

const withProblems = <T extends z.ZodType<StrategyRules>>(schema: T) =>
  schema.superRefine((r, ctx) => {
    for (const p of strategyProblems(r)) {
      const [field] = p.split(":");
      ctx.addIssue({ code: "custom", message: p.slice(p.indexOf(":") + 2), path: (field ?? "").split(".") });
    }
  });

/** A complete rule set (catalog templates). */
export const StrategyRulesSchema = withProblems(z.object(ruleFields).strict()).openapi("StrategyRules");

/** A per-position override: any subset of the rules; arrays replace the template's arrays whole. */
export const StrategyOverrideSchema = z.object(ruleFields).partial().strict().openapi("StrategyOverride");
export type StrategyOverride = z.infer<typeof StrategyOverrideSchema>;

/** Template + override. The caller validates the result with `strategyProblems` (a merge can break a rule). */
export function mergeStrategy(template: StrategyRules, override: StrategyOverride | null | undefined): StrategyRules {
  if (!override) return template;
  const merged = { ...template };
  for (const [k, v] of Object.entries(override)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged;
}

/**
 * A catalog row as stored (the exit_strategies table): rules as columns, the lists as JSON text. Declared
 * here by shape, so that the domain does not depend on the relational model (src/db/ imports the domain).
 */
export interface StoredStrategyRules {
  stop_loss_percent: number | null;
  trailing_stop_percent: number | null;
  trailing_activation_percent: number | null;
  scaling_levels: string;
  mirror_exit_enabled: boolean;
  max_hold_minutes: number | null;
  take_profit_table: string;
}

/** Decodes a catalog row's JSON columns into rules. */
export function rulesFromRow(row: StoredStrategyRules): StrategyRules {
  return {
    stop_loss_percent: row.stop_loss_percent,
    trailing_stop_percent: row.trailing_stop_percent,
    trailing_activation_percent: row.trailing_activation_percent,
    scaling_levels: JSON.parse(row.scaling_levels),
    mirror_exit_enabled: row.mirror_exit_enabled,
    max_hold_minutes: row.max_hold_minutes,
    take_profit_table: sortTakeProfit(JSON.parse(row.take_profit_table)),
  };
}
