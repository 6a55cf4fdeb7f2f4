import { type Config, configConsistencyProblems, type EditableConfig, EditableConfigSchema } from "./config";

export const EDITABLE_CONFIG_FIELDS = Object.keys(EditableConfigSchema.shape) as (keyof EditableConfig)[];

/** The operator-editable part of the config singleton (drops the sync state and `updated_at`). */
export function editableOf(c: Config | EditableConfig): EditableConfig {
  return Object.fromEntries(EDITABLE_CONFIG_FIELDS.map((k) => [k, c[k]])) as EditableConfig;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Names of the editable fields whose value differs, in schema order. */
export function changedConfigFields(prev: EditableConfig, next: EditableConfig): (keyof EditableConfig)[] {
  return EDITABLE_CONFIG_FIELDS.filter((k) => !same(prev[k], next[k]));
}

export type ConfigChangeDecision =
  | { kind: "refused"; problems: string[] }
  | { kind: "unchanged" }
  | { kind: "changed"; next: EditableConfig; changed: (keyof EditableConfig)[] };

/**
 * Decides what an operator change does: `patch` is already range-checked (zod); it is merged over the
 * current values (PUT sends every field, PATCH some) and the result must pass the cross-field rules.
 * A change that leaves every value as it was is "unchanged" (no history row).
 */
export function decideConfigChange(current: EditableConfig, patch: Partial<EditableConfig>): ConfigChangeDecision {
  const next = { ...current, ...patch };
  const problems = configConsistencyProblems(next);
  if (problems.length) return { kind: "refused", problems };
  const changed = changedConfigFields(current, next);
  if (!changed.length) return { kind: "unchanged" };
  return { kind: "changed", next, changed };
}

/**
 * The `updated_at` of a change: strictly after the previous one, because it doubles as the row
 * version that makes concurrent writers detect each other (two writes in the same millisecond).
 */
export function nextVersion(previous: string, now: number): string {
  const prevMs = Date.parse(previous);
  return new Date(Number.isFinite(prevMs) && prevMs >= now ? prevMs + 1 : now).toISOString();
}
