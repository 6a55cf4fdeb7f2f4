import { and, asc, eq, isNull, lte } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { scheduledFunding, walletInfo } from "../db/schema";
import { dueFundingAction, settleAction } from "../domain/funding-execution";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import {
  blockHeight,
  buildSignedTransfer,
  sendWireTransaction,
  signatureStatuses,
  signerFromSecret,
} from "../upstream/solana-transactions";
import type { Job } from "./run-job";

/** Fundings started per run: each costs 2 subrequests (blockhash, send) plus one status call for all. */
const MAX_NEW_PER_RUN = 10;
/** getSignatureStatuses takes at most 256 signatures. */
const MAX_STATUSES_PER_CALL = 256;

type FundingRow = typeof scheduledFunding.$inferSelect;

/**
 * Every minute: settle the submitted fundings (signature status; re-send the same signed bytes when the
 * cluster never saw them and the blockhash is still valid), then execute the due ones. Order of a new
 * funding: sign → store signature + signed bytes + status `submitted` in one conditional UPDATE (only a
 * still-`scheduled` row: a cancel or another run that got there first wins) → send → settle. A crash at
 * any point leaves a row this job settles on its next run; nothing is ever signed twice for one funding.
 */
export const runFundingExecution: Job = async (env) => {
  const db = getDb(env.DB);
  const cfg = await loadConfig(db);
  let signer: Awaited<ReturnType<typeof signerFromSecret>> | null = null;
  let keyProblem: string | null = null;
  if (env.FUNDING_WALLET_PRIVATE_KEY) {
    try {
      signer = await signerFromSecret(env.FUNDING_WALLET_PRIVATE_KEY);
    } catch (err) {
      keyProblem = err instanceof Error ? err.message : "funding wallet key unreadable";
    }
  }
  const settings = {
    enabled: cfg.funding_execution_enabled,
    max_transfer_sol: cfg.max_funding_transfer_sol,
    funding_wallet: signer?.address ?? null,
  };

  const settled = await settleSubmitted(env, db, settings.enabled);

  const now = nowIso();
  const due = await db
    .select({ f: scheduledFunding, wallet_status: walletInfo.status })
    .from(scheduledFunding)
    .leftJoin(walletInfo, eq(walletInfo.address, scheduledFunding.wallet_address))
    .where(and(eq(scheduledFunding.status, "scheduled"), lte(scheduledFunding.scheduled_for, now)))
    .orderBy(asc(scheduledFunding.scheduled_for))
    .limit(MAX_NEW_PER_RUN);

  let started = 0;
  let refused = 0;
  let skipped = 0;
  for (const { f, wallet_status } of due) {
    const action = dueFundingAction({ ...f, wallet_status }, settings);
    if (action.kind === "skip") {
      skipped++;
      continue;
    }
    if (action.kind === "refuse") {
      const at = nowIso();
      const res = await db
        .update(scheduledFunding)
        .set({ status: "failed", failure_reason: action.reason, updated_at: at })
        .where(and(eq(scheduledFunding.id, f.id), eq(scheduledFunding.status, "scheduled")))
        .returning({ id: scheduledFunding.id });
      if (res.length) {
        refused++;
        log.warn("funding_refused", { id: f.id, wallet: f.wallet_address, reason: action.reason });
      }
      continue;
    }
    if (!signer) continue;
    if (await startFunding(env, db, f, signer, action.lamports)) started++;
  }

  // Settle what was just sent (a fast cluster confirms within the run; otherwise the next run does).
  const after =
    started || settled.rebroadcast
      ? await settleSubmitted(env, db, false)
      : { executed: 0, failed: 0, rebroadcast: 0, waiting: 0 };
  const detail = {
    enabled: settings.enabled,
    key_configured: Boolean(signer),
    ...(keyProblem ? { key_problem: keyProblem } : {}),
    due: due.length,
    started,
    refused,
    skipped,
    executed: settled.executed + after.executed,
    failed: settled.failed + after.failed,
    rebroadcast: settled.rebroadcast,
    waiting: after.waiting || settled.waiting,
  };
  return { status: due.length || settled.total ? "ok" : "skipped", detail };
};

async function startFunding(
  env: Env,
  db: ReturnType<typeof getDb>,
  f: FundingRow,
  signer: Awaited<ReturnType<typeof signerFromSecret>>,
  lamports: bigint,
): Promise<boolean> {
  let signed: Awaited<ReturnType<typeof buildSignedTransfer>>;
  try {
    signed = await buildSignedTransfer(env, signer, f.wallet_address, lamports);
  } catch (err) {
    // Nothing signed or stored: the funding stays scheduled and is tried again next run.
    log.warn("funding_build_failed", { id: f.id, error: redact(errorMessage(err)) });
    return false;
  }
  const at = nowIso();
  // Intent before action: the signature and the exact bytes are stored before anything is sent.
  const claimed = await db
    .update(scheduledFunding)
    .set({
      status: "submitted",
      tx_signature: signed.signature,
      signed_transaction: signed.wire,
      amount_lamports: lamports.toString(),
      last_valid_block_height: signed.last_valid_block_height,
      source_wallet: f.source_wallet ?? signed.from,
      submitted_at: at,
      updated_at: at,
    })
    .where(
      and(
        eq(scheduledFunding.id, f.id),
        eq(scheduledFunding.status, "scheduled"),
        isNull(scheduledFunding.tx_signature),
      ),
    )
    .returning({ id: scheduledFunding.id });
  if (claimed.length === 0) return false; // cancelled, or another run claimed it: these bytes are never sent
  log.info("funding_submitted", {
    id: f.id,
    wallet: f.wallet_address,
    lamports: lamports.toString(),
    signature: signed.signature,
  });
  try {
    await sendWireTransaction(env, signed.wire);
  } catch (err) {
    // Unknown outcome: left submitted; settled by signature status (and re-sent while valid) next run.
    log.warn("funding_send_failed", {
      id: f.id,
      signature: signed.signature,
      error: redact(errorMessage(err)),
    });
  }
  return true;
}

async function settleSubmitted(env: Env, db: ReturnType<typeof getDb>, mayRebroadcast: boolean) {
  const out = { total: 0, executed: 0, failed: 0, rebroadcast: 0, waiting: 0 };
  const rows = await db
    .select()
    .from(scheduledFunding)
    .where(eq(scheduledFunding.status, "submitted"))
    .orderBy(asc(scheduledFunding.submitted_at))
    .limit(MAX_STATUSES_PER_CALL);
  out.total = rows.length;
  if (rows.length === 0) return out;
  let statuses: Awaited<ReturnType<typeof signatureStatuses>>;
  try {
    statuses = await signatureStatuses(
      env,
      rows.map((r) => r.tx_signature as string),
    );
  } catch (err) {
    log.warn("funding_status_unavailable", { error: redact(errorMessage(err)) });
    out.waiting = rows.length;
    return out;
  }
  let height: number | null = null;
  if (statuses.some((s) => s === null)) {
    try {
      height = await blockHeight(env);
    } catch {
      height = null;
    }
  }
  for (const [i, row] of rows.entries()) {
    const action = settleAction(statuses[i] ?? null, height, row.last_valid_block_height, mayRebroadcast);
    const at = nowIso();
    const where = and(eq(scheduledFunding.id, row.id), eq(scheduledFunding.status, "submitted"));
    if (action.kind === "executed") {
      const res = await db
        .update(scheduledFunding)
        .set({ status: "executed", executed_at: at, last_checked_at: at, updated_at: at })
        .where(where)
        .returning({ id: scheduledFunding.id });
      if (res.length) {
        out.executed++;
        log.info("funding_executed", { id: row.id, wallet: row.wallet_address, signature: row.tx_signature });
      }
    } else if (action.kind === "failed") {
      const res = await db
        .update(scheduledFunding)
        .set({ status: "failed", failure_reason: action.reason, last_checked_at: at, updated_at: at })
        .where(where)
        .returning({ id: scheduledFunding.id });
      if (res.length) {
        out.failed++;
        log.warn("funding_failed", {
          id: row.id,
          wallet: row.wallet_address,
          signature: row.tx_signature,
          reason: action.reason,
        });
      }
    } else {
      if (action.kind === "rebroadcast" && row.signed_transaction) {
        try {
          await sendWireTransaction(env, row.signed_transaction);
          out.rebroadcast++;
          log.info("funding_rebroadcast", { id: row.id, signature: row.tx_signature });
        } catch (err) {
          log.warn("funding_send_failed", {
            id: row.id,
            signature: row.tx_signature,
            error: redact(errorMessage(err)),
          });
        }
      }
      out.waiting++;
      await db.update(scheduledFunding).set({ last_checked_at: at }).where(where);
    }
  }
  return out;
}
