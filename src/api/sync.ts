import { createRoute, z } from "@hono/zod-openapi";
import { count } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { SYNC_STATUSES, wallets } from "../db/schema";
import { runHeliusSync } from "../jobs/helius-sync";
import { runJob } from "../jobs/run-job";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

const SyncState = z
  .object({
    configured: z.boolean(),
    webhook_id: z.string().nullable(),
    last_sync_at: z.string().nullable().openapi({ description: "time of the last successful push" }),
    last_sync_status: z.string().nullable().openapi({ description: "ok | error | not_configured" }),
    last_sync_error: z.string().nullable(),
    transaction_types: z.array(z.string()),
    active_wallets: z.number().int(),
    wallets_by_status: z.object({ pending: z.number().int(), synced: z.number().int(), error: z.number().int() }),
  })
  .openapi("HeliusSyncState");

const SyncResult = z
  .object({ status: z.enum(["ok", "skipped"]), detail: z.record(z.string(), z.unknown()) })
  .openapi("HeliusSyncResult");

const getState = createRoute({
  method: "get",
  path: "/sync/helius",
  tags: ["sync"],
  summary: "Helius address-sync state and wallet counts per sync status",
  security: bearerSecurity,
  responses: { 200: jsonContent(SyncState, "Sync state"), ...errorResponses() },
});

const runSync = createRoute({
  method: "post",
  path: "/sync/helius",
  tags: ["sync"],
  summary: "Push the active addresses to the global Helius webhook now (same job as the */5 cron)",
  security: bearerSecurity,
  responses: { 200: jsonContent(SyncResult, "The job result"), ...errorResponses() },
});

export const syncRouter = createRouter()
  .openapi(getState, async (c) => {
    const db = getDb(c.env.DB);
    const [cfg, groups] = await Promise.all([
      loadConfig(db),
      db
        .select({ status: wallets.helius_sync_status, active: wallets.is_active, n: count() })
        .from(wallets)
        .groupBy(wallets.helius_sync_status, wallets.is_active),
    ]);
    const byStatus = Object.fromEntries(SYNC_STATUSES.map((s) => [s, 0])) as Record<
      (typeof SYNC_STATUSES)[number],
      number
    >;
    let active = 0;
    for (const g of groups) {
      byStatus[g.status] += g.n;
      if (g.active) active += g.n;
    }
    return c.json(
      {
        configured: Boolean(c.env.HELIUS_API_KEY && c.env.HELIUS_WEBHOOK_SECRET && c.env.PUBLIC_WEBHOOK_URL),
        webhook_id: cfg.helius_webhook_id,
        last_sync_at: cfg.helius_last_sync_at,
        last_sync_status: cfg.helius_last_sync_status,
        last_sync_error: cfg.helius_last_sync_error,
        transaction_types: cfg.helius_transaction_types,
        active_wallets: active,
        wallets_by_status: byStatus,
      },
      200,
    );
  })
  .openapi(runSync, async (c) => {
    // Through runJob, so a manual run is recorded in job_runs like a cron run.
    const result = await runJob(c.env, "helius_sync", null, runHeliusSync);
    if (result.status === "error")
      throw new ApiError("UpstreamUnavailable", `helius sync failed: ${String(result.detail?.error ?? "unknown")}`);
    if (result.status === "skipped" && String(result.detail?.reason ?? "").startsWith("not configured"))
      throw new ApiError("NotConfigured", `helius sync ${String(result.detail?.reason)}`);
    return c.json({ status: result.status, detail: result.detail ?? {} }, 200);
  });
