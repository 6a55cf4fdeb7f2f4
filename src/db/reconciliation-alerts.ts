import type { Finding } from "../domain/reconciliation";
import { raiseAlert, resolveAlertOf } from "./alerts";
import type { ReconciliationFindingKind } from "./schema";

/**
 * Every finding is a `reconciliation` alert (deduplicated by its subject: a finding seen again bumps the
 * count). An open reconciliation alert whose finding this run no longer sees is resolved, but only for the
 * kinds this run checked (holdings skipped → their alerts stay) and subjects it judged (a change in flight).
 * Returns how many alerts were resolved.
 */
export async function raiseAlertsAndResolve(
  d1: D1Database,
  findings: readonly Finding[],
  checkedKinds: ReadonlySet<ReconciliationFindingKind>,
  skippedSubjects: ReadonlySet<string>,
): Promise<number> {
  for (const f of findings)
    await raiseAlert(d1, {
      kind: "reconciliation",
      subject: f.subject,
      message: f.message,
      detail: {
        finding: f.kind,
        position_id: f.position_id,
        token_mint: f.token_mint,
        expected: f.expected,
        actual: f.actual,
        ...f.detail,
      },
    });
  const found = new Set(findings.map((f) => f.subject));
  const open = await d1
    .prepare("SELECT subject FROM alerts WHERE kind = 'reconciliation' AND status != 'resolved'")
    .all<{ subject: string }>();
  let resolved = 0;
  for (const { subject } of open.results) {
    const kind = subject.split(":")[0] as ReconciliationFindingKind;
    if (!checkedKinds.has(kind) || found.has(subject) || skippedSubjects.has(subject)) continue;
    resolved += await resolveAlertOf(d1, "reconciliation", subject, "reconciliation");
  }
  return resolved;
}
