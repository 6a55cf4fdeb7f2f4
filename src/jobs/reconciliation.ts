import { and, eq, gte, inArray, or } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { acquireJobLock, releaseJobLock } from "../db/job-lock";
import { refreshWallet } from "../db/portfolio-refresh";
import { getWalletRow } from "../db/portfolio-store";
import { raiseAlertsAndResolve } from "../db/reconciliation-alerts";
import {
  forgetMissing,
  IN_FLIGHT_ORDER_STATUSES,
  loadPositionFills,
  recordMissing,
  resetMissing,
} from "../db/reconciliation-store";
import { orders, positions, reconciliationFindings, reconciliationRuns, tokenHoldings, walletInfo } from "../db/schema";
import {
  compareHoldings,
  type Finding,
  type LivePosition,
  MISSING_OBSERVATIONS_TO_CLOSE,
  missingFinding,
  pnlFinding,
} from "../domain/reconciliation";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import { tradingWalletKey } from "../lib/trading-wallet";
import type { Job } from "./run-job";

/** One run at a time; a run that dies leaves a lease that expires on its own. */
export const RECONCILIATION_LOCK = "reconciliation";
const LEASE_MS = 15 * 60_000;

type Holdings =
  | { checked: true; address: string; snapshot_at: string; held: { mint: string; balance: string }[] }
  | { checked: false; address: string | null; reason: string };

/**
 * The trading wallet's holdings through the portfolio refresh of that wallet (it is added to the portfolio
 * as a `trading` wallet on first use, so its balance also shows in the status). Without a key, or when the
 * holdings part of the refresh fails, holdings are not compared and the reason says why.
 */
async function tradingWalletHoldings(env: Env): Promise<Holdings> {
  const key = await tradingWalletKey(env.WALLET_PRIVATE_KEY);
  if (!key.configured)
    return {
      checked: false,
      address: null,
      reason: "WALLET_PRIVATE_KEY is not configured: no trading wallet, holdings not compared",
    };
  if (!key.valid) return { checked: false, address: null, reason: `${key.problem}: holdings not compared` };
  const db = getDb(env.DB);
  const address = key.address;
  await db
    .insert(walletInfo)
    .values({ address, label: "WallTrack trading wallet", wallet_type: "trading" })
    .onConflictDoNothing();
  const row = await getWalletRow(db, address);
  if (!row) return { checked: false, address, reason: "trading wallet missing from the portfolio" };
  const cfg = await loadConfig(db);
  const parts = await refreshWallet(env, db, row, {
    fundedThresholdSol: cfg.funded_threshold_sol,
    metadataRetrySeconds: cfg.token_cache_ttl_seconds,
  });
  if (parts.holdings.status !== "ok" || !parts.holdings.refreshed_at)
    return { checked: false, address, reason: parts.holdings.message ?? "holdings refresh failed" };
  const held = await db
    .select({ mint: tokenHoldings.mint_address, balance: tokenHoldings.balance })
    .from(tokenHoldings)
    .where(eq(tokenHoldings.wallet_address, address));
  return { checked: true, address, snapshot_at: parts.holdings.refreshed_at, held };
}

/**
 * Live positions not closed (and those closed since the snapshot, whose mint must wait), with whether an
 * order of theirs is still moving. Read after the snapshot, so a position opened or closed meanwhile is seen.
 */
async function livePositions(db: ReturnType<typeof getDb>, snapshotAt: string): Promise<LivePosition[]> {
  const rows = await db
    .select({
      id: positions.id,
      token_mint: positions.token_mint,
      status: positions.status,
      current_amount: positions.current_amount,
      opened_at: positions.opened_at,
      closed_at: positions.closed_at,
    })
    .from(positions)
    .where(
      and(
        eq(positions.mode, "live"),
        or(inArray(positions.status, ["open", "closing"]), gte(positions.closed_at, snapshotAt)),
      ),
    );
  const moving = new Set<string>();
  for (let i = 0; i < rows.length; i += 90) {
    const ids = rows.slice(i, i + 90).map((r) => r.id);
    const inflight = await db
      .selectDistinct({ position_id: orders.position_id })
      .from(orders)
      .where(and(inArray(orders.position_id, ids), inArray(orders.status, [...IN_FLIGHT_ORDER_STATUSES])));
    for (const o of inflight) if (o.position_id) moving.add(o.position_id);
  }
  return rows.map((r) => ({ ...r, order_in_flight: moving.has(r.id) }));
}

export interface ReconciliationOutcome {
  run_id: number;
  findings: number;
  positions_closed: number;
  alerts_resolved: number;
  holdings_checked: boolean;
  holdings_skip_reason: string | null;
}

/**
 * One reconciliation run, under the job lock (a concurrent run is `skipped`). The run row is written first
 * (status running) so a run that dies is visible; findings and the run's outcome land in one batch.
 */
export async function reconcile(env: Env, trigger: "cron" | "api"): Promise<ReconciliationOutcome | null> {
  const db = getDb(env.DB);
  const holder = await acquireJobLock(db, RECONCILIATION_LOCK, LEASE_MS);
  if (!holder) return null;
  let run: { id: number } | undefined;
  try {
    run = await db
      .insert(reconciliationRuns)
      .values({ trigger, status: "running", started_at: nowIso() })
      .returning({ id: reconciliationRuns.id })
      .get();
    return await reconcileUnderLock(env, db, run.id);
  } catch (err) {
    const message = String(redact(errorMessage(err)));
    if (run)
      await db
        .update(reconciliationRuns)
        .set({ status: "error", error: message, finished_at: nowIso() })
        .where(eq(reconciliationRuns.id, run.id))
        .catch(() => undefined);
    throw err;
  } finally {
    await releaseJobLock(db, RECONCILIATION_LOCK, holder).catch(() => undefined);
  }
}

async function reconcileUnderLock(
  env: Env,
  db: ReturnType<typeof getDb>,
  runId: number,
): Promise<ReconciliationOutcome> {
  const run = { id: runId };
  const cfg = await loadConfig(db);
  const findings: Finding[] = [];
  const checkedKinds = new Set<Finding["kind"]>(["pnl_mismatch"]);
  const skipped = new Set<string>();
  let closed = 0;

  // Orders vs positions: realized PnL against the sum of the fills (every mode).
  const fills = await loadPositionFills(env.DB, Date.now());
  for (const s of fills.skipped_subjects) skipped.add(s);
  for (const p of fills.positions) {
    const f = pnlFinding(p);
    if (f) findings.push(f);
  }

  // Positions vs the trading wallet's holdings (live positions only).
  const holdings = await tradingWalletHoldings(env);
  let positionsChecked = fills.positions.length;
  if (holdings.checked) {
    for (const k of ["holding_without_position", "position_without_holding", "amount_mismatch"] as const)
      checkedKinds.add(k);
    const live = await livePositions(db, holdings.snapshot_at);
    positionsChecked += live.length;
    const cmp = compareHoldings(live, holdings.held, holdings.snapshot_at, cfg.reconciliation_tolerance_percent);
    findings.push(...cmp.findings);
    for (const s of cmp.skipped_subjects) skipped.add(s);
    await resetMissing(db, env.DB, cmp.present);
    for (const p of cmp.missing) {
      const observations = await recordMissing(env.DB, p, holdings.snapshot_at);
      let wasClosed = false;
      if (observations >= MISSING_OBSERVATIONS_TO_CLOSE) {
        // Through its PositionActor (the one writer), which refuses if an exit of ours is in flight. A
        // failure leaves the count in place: the next run tries again.
        try {
          const res = await env.POSITION_ACTOR.getByName(p.id).closeSoldExternally({ observations });
          wasClosed = res.closed;
          if (res.closed) {
            closed++;
            await forgetMissing(db, p.id);
          } else log.warn("reconciliation_close_refused", { position_id: p.id, reason: res.reason });
        } catch (err) {
          log.warn("reconciliation_close_failed", { position_id: p.id, error: redact(err) });
        }
      }
      findings.push(missingFinding(p, observations, wasClosed));
    }
  }

  const resolved = await raiseAlertsAndResolve(env.DB, findings, checkedKinds, skipped);
  const finishedAt = nowIso();
  const rows = findings.map((f) => ({
    run_id: run.id,
    kind: f.kind,
    subject: f.subject,
    position_id: f.position_id,
    token_mint: f.token_mint,
    mode: f.mode,
    expected: f.expected,
    actual: f.actual,
    observations: typeof f.detail.observations === "number" ? f.detail.observations : null,
    action: f.action ?? null,
    message: f.message,
    detail: JSON.stringify(f.detail),
  }));
  const finish = db
    .update(reconciliationRuns)
    .set({
      status: "ok",
      wallet_address: holdings.address,
      holdings_checked: holdings.checked,
      holdings_skip_reason: holdings.checked ? null : holdings.reason,
      holdings_snapshot_at: holdings.checked ? holdings.snapshot_at : null,
      positions_checked: positionsChecked,
      findings: findings.length,
      positions_closed: closed,
      alerts_resolved: resolved,
      finished_at: finishedAt,
    })
    .where(eq(reconciliationRuns.id, run.id));
  const inserts = [];
  for (let i = 0; i < rows.length; i += 8) inserts.push(db.insert(reconciliationFindings).values(rows.slice(i, i + 8)));
  await db.batch([finish, ...inserts]);
  log.info("reconciliation_finished", { run_id: run.id, findings: findings.length, closed, resolved });
  return {
    run_id: run.id,
    findings: findings.length,
    positions_closed: closed,
    alerts_resolved: resolved,
    holdings_checked: holdings.checked,
    holdings_skip_reason: holdings.checked ? null : holdings.reason,
  };
}

/** The hourly job (and the API's run), recorded in job_runs and heartbeats by runJob. */
export const reconciliationJob =
  (trigger: "cron" | "api"): Job =>
  async (env) => {
    const out = await reconcile(env, trigger);
    if (!out) return { status: "skipped", detail: { reason: "another reconciliation run is in progress" } };
    return { status: "ok", detail: { ...out } };
  };
