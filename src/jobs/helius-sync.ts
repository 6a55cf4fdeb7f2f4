import { and, eq, ne, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { config, wallets } from "../db/schema";
import { planHeliusSync, webhookAction, webhookUpToDate } from "../domain/helius-sync";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import {
  createWebhook,
  editWebhook,
  getWebhook,
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

/** Pushes the active watchlist to the one global Helius webhook (ADR-001). Cron every 5 min and POST /sync/helius. */
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
    let webhookId = cfg.helius_webhook_id;
    let created = false;
    let edited = false;
    let action = webhookAction(webhookId, plan.addresses.length);
    if (action.kind === "edit") {
      try {
        const current = await getWebhook(env, action.webhookId);
        if (!webhookUpToDate(current, request)) {
          await editWebhook(env, action.webhookId, request);
          edited = true;
        }
      } catch (err) {
        // Deleted on the Helius side: fall through to find or create it again.
        if (!(err instanceof UpstreamError && err.status === 404)) throw err;
        log.warn("helius_webhook_missing", { webhook_id: action.webhookId });
        webhookId = null;
        action = webhookAction(null, plan.addresses.length);
      }
    }
    if (action.kind === "create") {
      // Adopt a webhook already pointing at us (created by a run whose config write was lost, or by a
      // concurrent run) instead of creating a duplicate that would deliver every event twice.
      const existing = (await listWebhooks(env)).find((w) => w.webhookURL === env.PUBLIC_WEBHOOK_URL);
      if (existing) {
        await editWebhook(env, existing.webhookID, request);
        edited = true;
        webhookId = existing.webhookID;
      } else {
        webhookId = (await createWebhook(env, request)).webhookID;
        created = true;
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
          helius_last_sync_error: null,
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
    };
    log.info("helius_synced", detail);
    return { status: "ok", detail };
  } catch (err) {
    const message = String(redact(err instanceof Error ? err.message : String(err)));
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
};
