import {
  mergeStrategy,
  type StrategyOverride,
  StrategyOverrideSchema,
  type StrategyRules,
  strategyProblems,
} from "./exit-strategy";
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE } from "./idempotency";
import type { ExitRow, PositionState } from "./position-state";
import type { MirrorExitResult } from "./swap-order";

/**
 * The answers a PositionActor gives to the operator's and the leader's requests that need no storage: the
 * checks of a manual exit's Idempotency-Key, of a strategy override, and what a mirror exit reports.
 */

export type ActResult<T> =
  | ({ ok: true } & T)
  | { ok: false; code: "not_found" | "closed" | "invalid" | "conflict"; detail: string };

type Refusal = Extract<ActResult<object>, { ok: false }>;

/** A malformed Idempotency-Key (absent is fine: the exit is then not replayable). */
export function idempotencyKeyRefusal(idem: unknown): Refusal | null {
  if (idem !== undefined && !(typeof idem === "string" && IDEMPOTENCY_KEY.test(idem)))
    return { ok: false, code: "invalid", detail: `idempotency-key: ${IDEMPOTENCY_KEY_RULE}` };
  return null;
}

/** A key already used for another percent is a conflict: a new exit needs a new key. */
export function manualReplayConflict(seenPercent: number, percent: number): Refusal | null {
  if (seenPercent === percent) return null;
  return {
    ok: false,
    code: "conflict",
    detail: `Idempotency-Key already used on this position for an exit of ${seenPercent} %; this request asks ${percent} % (use a new key for a new exit)`,
  };
}

/**
 * A per-position override, validated merged with the template; `formatIssues` renders zod's issues (the
 * caller's error vocabulary).
 */
export function strategyOverrideDecision(
  st: Pick<PositionState, "status" | "template_rules">,
  override: unknown,
  formatIssues: (issues: readonly { path: readonly PropertyKey[]; message: string }[]) => string,
): ActResult<{ rules: StrategyRules; override: StrategyOverride }> {
  if (st.status === "closed") return { ok: false, code: "closed", detail: "position is already closed" };
  const parsed = StrategyOverrideSchema.safeParse(override);
  if (!parsed.success) return { ok: false, code: "invalid", detail: formatIssues(parsed.error.issues) };
  if (!st.template_rules) return { ok: false, code: "conflict", detail: "the exit strategy is not loaded yet" };
  const merged = mergeStrategy(st.template_rules, parsed.data);
  const problems = strategyProblems(merged);
  if (problems.length > 0) return { ok: false, code: "invalid", detail: problems.join("; ") };
  return { ok: true, rules: merged, override: parsed.data };
}

/** A mirror exit's answer from its exit row: queued once the queue holds it, pending a retry while only decided. */
export function mirrorExitAnswer(
  positionId: string,
  row: Pick<ExitRow, "state" | "order_id"> | null | undefined,
): MirrorExitResult {
  return {
    position_id: positionId,
    queued: row?.state === "queued" || row?.state === "filled",
    order_id: row?.order_id ?? undefined,
    reason: row?.state === "decided" ? "enqueue_pending_retry" : undefined,
  };
}
