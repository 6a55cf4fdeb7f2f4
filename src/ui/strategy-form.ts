import type { StrategyRules } from "../domain/exit-strategy";

/**
 * Exit-rule form fields ↔ the JSON the exit-strategy and position-override APIs validate. The form only
 * translates text; every rule (ranges, increasing multiples, sums, duplicate rows) is the API's. Text
 * that is not a number is passed on as text, so the API refuses it next to its field.
 */
export const NUMBER_RULES = [
  "stop_loss_percent",
  "trailing_stop_percent",
  "trailing_activation_percent",
  "max_hold_minutes",
] as const;
export const RULE_FIELDS = [...NUMBER_RULES, "mirror_exit_enabled", "scaling_levels", "take_profit_table"] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

export const RULE_HELP: Record<RuleField, string> = {
  stop_loss_percent: "Sell everything when the price falls this many percent below entry.",
  trailing_stop_percent: "Once armed, sell everything when the price falls this many percent from its peak.",
  trailing_activation_percent: "The trailing stop arms once the price is this many percent above entry.",
  max_hold_minutes: "Sell what remains after this many minutes (time exit).",
  mirror_exit_enabled: "Sell when the leader sells (mirrored SELL).",
  scaling_levels: "Take profit in steps: multiple:sell_percent of the entry amount, e.g. 2:50, 3:25.",
  take_profit_table: "Minimum profit by holding time: after_minutes:min_profit_percent, e.g. 0:100, 60:20.",
};

const numberOrText = (t: string): number | string => (t !== "" && Number.isFinite(Number(t)) ? Number(t) : t);

/** `2:50, 3:25` → [{multiple: 2, sell_percent: 50}, …]; a malformed part keeps its text for the API to refuse. */
function pairs<A extends string, B extends string>(t: string, a: A, b: B): Record<A | B, number | string>[] {
  return t
    .split(/[,;\n]+/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [x = "", y = "", ...rest] = p.split(":").map((s) => s.trim());
      if (rest.length) return { [a]: p, [b]: "" } as Record<A | B, string>;
      return { [a]: numberOrText(x), [b]: numberOrText(y) } as Record<A | B, number | string>;
    });
}

/**
 * The rules typed in the form. `blank` says what an empty field means: "off" for a catalog strategy
 * (a rule left empty is disabled), "inherit" for a position override (empty = the template's value;
 * type `off` to disable a rule for this position only, `none` to clear a list).
 */
export function rulesFromForm(form: Record<string, string>, blank: "off" | "inherit"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of NUMBER_RULES) {
    const t = (form[k] ?? "").trim();
    if (t === "" && blank === "inherit") continue;
    out[k] = t === "" || t.toLowerCase() === "off" ? null : numberOrText(t);
  }
  const mirror = (form.mirror_exit_enabled ?? "").trim();
  if (mirror === "true" || mirror === "false") out.mirror_exit_enabled = mirror === "true";
  else if (mirror !== "" || blank === "off") out.mirror_exit_enabled = mirror || true;
  for (const [k, a, b] of [
    ["scaling_levels", "multiple", "sell_percent"],
    ["take_profit_table", "after_minutes", "min_profit_percent"],
  ] as const) {
    const t = (form[k] ?? "").trim();
    if (t === "" && blank === "inherit") continue;
    out[k] = t.toLowerCase() === "none" ? [] : pairs(t, a, b);
  }
  return out;
}

/** Rules (or an override's subset) back into form text. */
export function rulesToForm(r: Partial<StrategyRules>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of NUMBER_RULES) if (k in r) out[k] = r[k] == null ? (r[k] === null ? "off" : "") : String(r[k]);
  if (r.mirror_exit_enabled !== undefined) out.mirror_exit_enabled = String(r.mirror_exit_enabled);
  if (r.scaling_levels)
    out.scaling_levels = r.scaling_levels.length
      ? r.scaling_levels.map((l) => `${l.multiple}:${l.sell_percent}`).join(", ")
      : "none";
  if (r.take_profit_table)
    out.take_profit_table = r.take_profit_table.length
      ? r.take_profit_table.map((s) => `${s.after_minutes}:${s.min_profit_percent}`).join(", ")
      : "none";
  return out;
}

/** A catalog strategy as its edit form shows it: a disabled rule is an empty field. */
export function catalogToForm(r: StrategyRules): Record<string, string> {
  const f = rulesToForm(r);
  for (const k of NUMBER_RULES) if (r[k] === null) f[k] = "";
  if (!r.scaling_levels.length) f.scaling_levels = "";
  if (!r.take_profit_table.length) f.take_profit_table = "";
  return f;
}
