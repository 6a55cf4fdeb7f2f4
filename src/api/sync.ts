import { createRoute, z } from "@hono/zod-openapi";
import { count, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { SYNC_STATUSES, wallets } from "../db/schema";
import { isSolanaAddress } from "../domain/wallet-rules";
import { BACKFILL_DEFAULT_LIMIT, BACKFILL_MAX_LIMIT, runBackfill } from "../jobs/backfill";
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

const BackfillBody = z
  .object({
    wallet: z
      .union([
        z.number().int().positive(),
        z.string().refine((s) => isSolanaAddress(s), { message: "not a valid Solana address (base58, 32 bytes)" }),
      ])
      .optional()
      .openapi({ description: "One wallet (id or address; scanned even when inactive). Default: the active wallets" }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(BACKFILL_MAX_LIMIT)
      .optional()
      .openapi({ description: `Signatures looked at per wallet (default ${BACKFILL_DEFAULT_LIMIT})` }),
  })
  .strict();

const WalletBackfillSchema = z.object({
  wallet_id: z.number().int(),
  address: z.string(),
  checked: z.number().int().openapi({ description: "on-chain signatures newer than the wallet's cursor" }),
  skipped: z.number().int().openapi({ description: "failed on chain, or before the wallet was watched" }),
  missing: z.number().int().openapi({ description: "succeeded transactions with no signal" }),
  recovered: z.number().int().openapi({ description: "handed to the wallet actor: now signals" }),
  duplicates: z.number().int(),
  ignored: z.number().int(),
  failed: z.number().int().openapi({ description: "not recovered this run; looked at again next run" }),
  deferred: z.number().int().openapi({ description: "left for the next run (fetch budget spent)" }),
  truncated: z.boolean().openapi({ description: "older signatures beyond `limit` were not looked at" }),
  error: z.string().nullable(),
});

const BackfillResult = z
  .object({
    status: z.literal("ok"),
    wallets_active: z.number().int().optional(),
    wallets: z.array(WalletBackfillSchema),
    totals: z.object({
      checked: z.number().int(),
      missing: z.number().int(),
      recovered: z.number().int(),
      failed: z.number().int(),
      wallets_failed: z.number().int(),
    }),
  })
  .openapi("BackfillResult");

const runBackfillRoute = createRoute({
  method: "post",
  path: "/sync/backfill",
  tags: ["sync"],
  summary: "Recover watched-wallet transactions the webhook never delivered (same as the hourly backfill)",
  description:
    "getSignaturesForAddress per wallet (newer than its cursor), minus failed ones and known signals, fetched " +
    "through Helius parse-transactions and handed to the WalletActors like a webhook delivery. A late BUY is " +
    "filtered stale_signal; a late SELL still mirrors exits. Per-wallet failures are reported, not thrown.",
  security: bearerSecurity,
  request: {
    body: {
      content: { "application/json": { schema: BackfillBody, example: { wallet: 1, limit: 50 } } },
      required: false,
    },
  },
  responses: { 200: jsonContent(BackfillResult, "Per-wallet counts"), ...errorResponses(400, 404) },
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
  })
  .openapi(runBackfillRoute, async (c) => {
    if (!c.env.HELIUS_API_KEY) throw new ApiError("NotConfigured", "HELIUS_API_KEY is not configured; no backfill");
    const body = c.req.valid("json") ?? {};
    let only: { id: number; address: string; created_at: string }[] | undefined;
    if (body.wallet !== undefined) {
      const db = getDb(c.env.DB);
      const cols = { id: wallets.id, address: wallets.address, created_at: wallets.created_at };
      const w = await db
        .select(cols)
        .from(wallets)
        .where(typeof body.wallet === "number" ? eq(wallets.id, body.wallet) : eq(wallets.address, body.wallet))
        .get();
      if (!w) throw new ApiError("NotFound", `wallet ${body.wallet} is not watched`);
      only = [w];
    }
    const run = await runBackfill(c.env, { wallets: only, limit: body.limit });
    if (run.status === "skipped") throw new ApiError("NotConfigured", `backfill ${run.reason}`);
    return c.json(
      { status: "ok" as const, wallets_active: run.wallets_active, wallets: run.wallets, totals: run.totals },
      200,
    );
  });
