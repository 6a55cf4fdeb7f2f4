import { and, eq, ne, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { acquireJobLock, releaseJobLock } from "../db/job-lock";
import { config, wallets } from "../db/schema";
import { pickWebhooks, planHeliusSync, webhookAction, webhookUpToDate } from "../domain/helius-sync";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import {
  createWebhook,
  deleteWebhook,
  editWebhook,
  HELIUS_MAX_ADDRESSES,
  listWebhooks,
  type WebhookRequest,
} from "../upstream/helius";
import { UpstreamError } from "../upstream/http";
import type { Job } from "./run-job";

/**
 * Marks exactly the wallet versions the plan was computed from (`toMark`, passed as one JSON
 * parameter: D1 caps bound parameters per statement). Columns are qualified because json_each has
 * its own `id` column.
 */
function markWallets(db: Db, toMark: { id: number; u: string }[], set: Partial<typeof wallets.$inferInsert>) {
  return db
    .update(wallets)
    .set(set)
    .where(
      and(
        ne(wallets.helius_sync_status, "synced"),
        sql`EXISTS (SELECT 1 FROM json_each(${JSON.stringify(toMark)}) AS j
          WHERE json_extract(j.value, '$.id') = "wallets"."id" AND json_extract(j.value, '$.u') = "wallets"."updated_at")`,
      ),
    );
}

class SyncRefused extends Error {}

const LOCK = "helius_sync";
// Longer than a whole run (each upstream call times out within seconds), shorter than the 5-min cron:
// a run that died frees the writer role by the next tick.
const LOCK_LEASE_MS = 2 * 60_000;
// Deletes per run: keeps a run well inside its lease and the invocation's subrequest budget; the next run
// (it lists them again) deletes the rest.
const MAX_DELETES_PER_RUN = 10;

/**
 * Pushes the active watchlist to the one global Helius webhook (ADR-001). Cron every 5 min and POST /sync/helius.
 * One writer: concurrent runs (an overlapping cron and a manual push, a double click) would each create a
 * webhook, so a run first takes the `job_locks` row and a run that finds it held changes nothing ("skipped").
 */
export const runHeliusSync: Job = async (env) => {
  const db = getDb(env.DB);
  const missing = ["HELIUS_API_KEY", "HELIUS_WEBHOOK_SECRET", "PUBLIC_WEBHOOK_URL"].filter((k) => !env[k as keyof Env]);
  if (missing.length) {
    const reason = `not configured: ${missing.join(", ")} missing`;
    await db
      .update(config)
      .set({ helius_last_sync_status: "not_configured", helius_last_sync_error: reason })
      .where(eq(config.id, 1));
    return { status: "skipped", detail: { reason } };
  }
  const holder = await acquireJobLock(db, LOCK, LOCK_LEASE_MS);
  if (!holder) {
    log.info("helius_sync_skipped", { reason: "another helius sync is running" });
    return { status: "skipped", detail: { reason: "another helius sync is running; it pushes the same list" } };
  }
  try {
    return await syncLocked(env, db);
  } finally {
    // A failed release only delays the next run until the lease expires.
    await releaseJobLock(db, LOCK, holder).catch((err) =>
      log.warn("helius_sync_unlock_failed", { error: String(redact(err instanceof Error ? err.message : err)) }),
    );
  }
};

async function syncLocked(env: Env, db: Db) {
  // Read under the lock: a run that follows another sees the webhook id the other stored.
  const cfg = await loadConfig(db);
  const rows = await db
    .select({
      id: wallets.id,
      address: wallets.address,
      is_active: wallets.is_active,
      helius_sync_status: wallets.helius_sync_status,
      updated_at: wallets.updated_at,
      has_open_positions: sql<number>`EXISTS (SELECT 1 FROM positions p WHERE p.source_wallet_address = ${wallets.address} AND p.status IN ('open', 'closing'))`,
    })
    .from(wallets);
  const plan = planHeliusSync(rows.map((r) => ({ ...r, has_open_positions: r.has_open_positions === 1 })));
  const request: WebhookRequest = {
    webhookURL: env.PUBLIC_WEBHOOK_URL,
    transactionTypes: cfg.helius_transaction_types,
    accountAddresses: plan.addresses,
    webhookType: "enhanced",
    authHeader: env.HELIUS_WEBHOOK_SECRET as string,
  };

  try {
    if (plan.addresses.length > HELIUS_MAX_ADDRESSES)
      throw new SyncRefused(`${plan.addresses.length} active wallets exceed Helius' ${HELIUS_MAX_ADDRESSES}`);
    // One list per run (a read, not billed like an edit) finds our webhook, adopts one pointing at us
    // when the stored id is lost, and sees duplicates left by earlier overlapping runs.
    const { keeper, duplicates } = pickWebhooks(await listWebhooks(env), cfg.helius_webhook_id, env.PUBLIC_WEBHOOK_URL);
    if (cfg.helius_webhook_id && keeper?.webhookID !== cfg.helius_webhook_id)
      log.warn("helius_webhook_missing", { webhook_id: cfg.helius_webhook_id, adopted: keeper?.webhookID ?? null });
    let webhookId = keeper?.webhookID ?? null;
    let created = false;
    let edited = false;
    const action = webhookAction(webhookId, plan.addresses.length);
    if (action.kind === "edit" && keeper && !webhookUpToDate(keeper, request)) {
      try {
        await editWebhook(env, action.webhookId, request);
        edited = true;
      } catch (err) {
        // Deleted on the Helius side since the list: create it again.
        if (!(err instanceof UpstreamError && err.status === 404)) throw err;
        log.warn("helius_webhook_missing", { webhook_id: action.webhookId });
        webhookId = null;
      }
    }
    if (action.kind === "create" || (action.kind === "edit" && webhookId === null && plan.addresses.length > 0)) {
      webhookId = (await createWebhook(env, request)).webhookID;
      created = true;
    }
    // After the push: a failed delete must not hold back the address list. What is left is reported and
    // deleted by the next run (it lists them again).
    let deleted = 0;
    const left: string[] = [];
    for (const d of duplicates) {
      if (deleted + left.length >= MAX_DELETES_PER_RUN) {
        left.push(d.webhookID);
        continue;
      }
      try {
        await deleteWebhook(env, d.webhookID);
        deleted++;
        log.info("helius_duplicate_webhook_deleted", { webhook_id: d.webhookID, kept: webhookId });
      } catch (err) {
        left.push(d.webhookID);
        log.warn("helius_duplicate_webhook_delete_failed", {
          webhook_id: d.webhookID,
          error: String(redact(errorMessage(err))),
        });
      }
    }
    const now = nowIso();
    const [, marked] = await db.batch([
      db
        .update(config)
        .set({
          helius_webhook_id: webhookId,
          helius_last_sync_at: now,
          helius_last_sync_status: "ok",
          helius_last_sync_error: left.length
            ? `${left.length} duplicate webhook(s) pointing at PUBLIC_WEBHOOK_URL not deleted yet (${left.join(", ")}); the next run retries`
            : null,
        })
        .where(eq(config.id, 1)),
      markWallets(db, plan.toMark, { helius_sync_status: "synced", helius_synced_at: now, helius_sync_error: null }),
    ]);
    const detail = {
      webhook_id: webhookId,
      created,
      edited,
      addresses: plan.addresses.length,
      wallets_marked_synced: marked.meta.changes,
      duplicates_deleted: deleted,
      ...(left.length ? { duplicates_left: left } : {}),
    };
    log.info("helius_synced", detail);
    return { status: "ok" as const, detail };
  } catch (err) {
    const message = String(redact(errorMessage(err)));
    // Keep the webhook id and the last successful sync time; only pending/error wallets learn the error.
    await db.batch([
      db
        .update(config)
        .set({ helius_last_sync_status: "error", helius_last_sync_error: message })
        .where(eq(config.id, 1)),
      markWallets(db, plan.toMark, { helius_sync_status: "error", helius_sync_error: message }),
    ]);
    log.warn("helius_sync_failed", { error: message, retry: "next run" });
    throw err instanceof UpstreamError || err instanceof SyncRefused ? new Error(message) : err;
  }
}
