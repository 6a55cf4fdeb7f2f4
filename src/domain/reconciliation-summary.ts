import type { AlertSeverity } from "./alerts";
import { RECONCILIATION_FINDING_KINDS, type ReconciliationFindingKind } from "./vocabulary";

/**
 * How serious each reconciliation finding is for the operator's summary (every finding is also a
 * `reconciliation` alert; this ranks them inside one run). Critical: live money and the books disagree in
 * a way a trade depends on (a position whose tokens are gone, an amount a sell would refuse). Warning: the
 * books disagree with no trade at stake (tokens held without a position — airdrops, dust, a missed entry —
 * and realized PnL that does not sum up from the fills).
 */
export const FINDING_SEVERITY: Record<ReconciliationFindingKind, Exclude<AlertSeverity, "info">> = {
  position_without_holding: "critical",
  amount_mismatch: "critical",
  holding_without_position: "warning",
  pnl_mismatch: "warning",
};

export interface RunForSummary {
  id: number;
  trigger: string;
  status: "running" | "ok" | "error";
  started_at: string;
  finished_at: string | null;
  error: string | null;
  holdings_checked: boolean;
  holdings_skip_reason: string | null;
  positions_checked: number;
  positions_closed: number;
}

export interface ReconciliationSummary {
  run_id: number;
  trigger: string;
  status: RunForSummary["status"];
  started_at: string;
  finished_at: string | null;
  findings: number;
  by_severity: { critical: number; warning: number };
  by_kind: Record<ReconciliationFindingKind, number>;
  positions_checked: number;
  positions_closed: number;
  holdings_checked: boolean;
  /** The run and its findings, in full. */
  route: string;
  /** The run in one sentence, for the Health page and the status. */
  summary: string;
}

/** The last run and its findings counted by kind (kinds it did not find count 0), summarised in words. */
export function summarizeRun(run: RunForSummary, countsByKind: Partial<Record<string, number>>): ReconciliationSummary {
  const by_kind = Object.fromEntries(RECONCILIATION_FINDING_KINDS.map((k) => [k, countsByKind[k] ?? 0])) as Record<
    ReconciliationFindingKind,
    number
  >;
  const by_severity = { critical: 0, warning: 0 };
  for (const k of RECONCILIATION_FINDING_KINDS) by_severity[FINDING_SEVERITY[k]] += by_kind[k];
  const findings = by_severity.critical + by_severity.warning;
  const parts: string[] = [];
  if (run.status === "running") parts.push("running since its start");
  else if (run.status === "error") parts.push(`failed: ${run.error ?? "no error recorded"}`);
  else {
    parts.push(
      findings === 0
        ? "no finding"
        : `${findings} finding(s): ${by_severity.critical} critical, ${by_severity.warning} warning`,
    );
    parts.push(`${run.positions_checked} position(s) checked`);
    if (run.positions_closed) parts.push(`${run.positions_closed} closed as sold externally`);
    parts.push(
      run.holdings_checked
        ? "holdings compared"
        : `holdings not compared (${run.holdings_skip_reason ?? "no reason recorded"})`,
    );
  }
  return {
    run_id: run.id,
    trigger: run.trigger,
    status: run.status,
    started_at: run.started_at,
    finished_at: run.finished_at,
    findings,
    by_severity,
    by_kind,
    positions_checked: run.positions_checked,
    positions_closed: run.positions_closed,
    holdings_checked: run.holdings_checked,
    route: `/api/v1/reconciliation?run_id=${run.id}`,
    summary: parts.join("; "),
  };
}
