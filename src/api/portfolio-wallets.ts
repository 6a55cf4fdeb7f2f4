import { createRoute, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, isNull, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { outcomesOf, refreshWallet } from "../db/portfolio-refresh";
import { activeRun, getRun, latestRun, runNextChunk, runView, startRun } from "../db/portfolio-refresh-run";
import {
  fundingTransfersOf,
  getWalletRow,
  holdingsOf,
  listWalletRows,
  recentTransactionsOf,
  type WalletInfoRow,
  walletView,
} from "../db/portfolio-store";
import { launches, scheduledFunding, walletInfo } from "../db/schema";
import {
  cacheStatus,
  oldest,
  operatorStatusChange,
  type PortfolioStatus,
  recordsCacheStatus,
  refreshHttpStatus,
} from "../domain/portfolio";
import { ApiError, errorBody } from "../lib/errors";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import {
  CachedRefreshRunSchema,
  CachedWalletListSchema,
  CachedWalletSchema,
  CreateWalletSchema,
  DeleteWalletQuery,
  RefreshAllResponseSchema,
  RefreshAllUnavailableSchema,
  RefreshResponseSchema,
  RefreshRunParam,
  RefreshUnavailableSchema,
  UpdateWalletSchema,
  WalletAddressParam,
} from "./portfolio-schemas";
import { type AppEnv, createRouter } from "./router";

const tags = ["portfolio"];
const security = bearerSecurity;

/** The paths end in "/" (`/api/wallets/`); the same route without it is served too, undocumented. */
export const slashAlias = <R extends RouteConfig>(route: R): R =>
  ({ ...route, path: route.path.replace(/\/$/, ""), hide: true }) as R;

async function settings(db: ReturnType<typeof getDb>) {
  const cfg = await loadConfig(db);
  return {
    staleSeconds: cfg.portfolio_stale_seconds,
    fundedThresholdSol: cfg.funded_threshold_sol,
    metadataRetrySeconds: cfg.token_cache_ttl_seconds,
  };
}

async function viewsOf(db: ReturnType<typeof getDb>, rows: WalletInfoRow[], staleSeconds: number) {
  const holdings = await holdingsOf(
    db,
    rows.map((r) => r.address),
  );
  const now = Date.now();
  return rows.map((r) => walletView(r, holdings.get(r.address) ?? [], staleSeconds, now));
}

async function oneView(db: ReturnType<typeof getDb>, address: string, staleSeconds: number) {
  const row = await getWalletRow(db, address);
  if (!row) throw new ApiError("NotFound", `wallet ${address} is not in the portfolio`);
  const [view] = await viewsOf(db, [row], staleSeconds);
  const recent = await recentTransactionsOf(db, address);
  const transfers = await fundingTransfersOf(db, address);
  return { ...(view as NonNullable<typeof view>), recent_transactions: recent, funding_transfers: transfers };
}

/** List-level cache status: as old as the stalest wallet. */
const listCache = (views: { cached_at: string | null }[], staleSeconds: number) =>
  views.length === 0
    ? { cached_at: null, cache_age_seconds: null, is_stale: false }
    : cacheStatus(oldest(views.map((v) => v.cached_at)), staleSeconds, Date.now());

// ------------------------------------------------------------------ core
const listWallets = createRoute({
  method: "get",
  path: "/wallets/",
  tags,
  security,
  summary: "All portfolio wallets with their cache status (D1 only, never the blockchain)",
  responses: {
    200: jsonContent(CachedWalletListSchema, "Every wallet with holdings; is_stale when any wallet is stale"),
    ...errorResponses(),
  },
});

const createWallet = createRoute({
  method: "post",
  path: "/wallets/",
  tags,
  security,
  summary: "Add a wallet to the portfolio cache (status UNFUNDED until a refresh sees ≥ funded_threshold_sol)",
  request: { body: { content: { "application/json": { schema: CreateWalletSchema } }, required: true } },
  responses: {
    201: jsonContent(CachedWalletSchema, "Created; never refreshed yet, so is_stale is true"),
    ...errorResponses(400, 409),
  },
});

const refreshAll = createRoute({
  method: "post",
  path: "/wallets/refresh-all",
  tags,
  security,
  summary: "Refresh every wallet from Solana, in chunks that stay inside max_subrequests_per_invocation",
  description:
    "All RPC calls go in JSON-RPC batches (getMultipleAccounts for balances, both token programs and the " +
    "recent signatures per wallet, launch confirmations), new signatures are parsed by Helius (100 per call) " +
    "to identify funding transfers, token names come in one DAS call. A chunk holds as many wallets as fit in " +
    "the subrequest budget; this request does the first, the PortfolioRefresher's alarms the rest " +
    "(202 with `run` while it goes on: follow GET /api/wallets/refresh-all/{run_id}). When all fit in one chunk: " +
    "200 when every part of every wallet refreshed, 207 when some failed (see `results`), 503 when none did. " +
    "409 while another run is in progress.",
  responses: {
    ...errorResponses(409), // first: the 503 below (cached data + envelope) replaces the generic one
    200: jsonContent(RefreshAllResponseSchema, "Every part of every wallet refreshed"),
    202: jsonContent(RefreshAllResponseSchema, "Accepted: the first chunk is done, the rest continues (see run)"),
    207: jsonContent(RefreshAllResponseSchema, "Multi-Status: some parts failed; their cached data was kept"),
    503: jsonContent(RefreshAllUnavailableSchema, "Nothing could be refreshed: error envelope plus the cached data"),
  },
});

const refreshRunRoute = createRoute({
  method: "get",
  path: "/wallets/refresh-all/{run_id}",
  tags,
  security,
  summary: "Progress of a refresh-all run (`latest` for the most recent): wallets done, chunks, subrequests per chunk",
  request: { params: RefreshRunParam },
  responses: { 200: jsonContent(CachedRefreshRunSchema, "The run"), ...errorResponses(400, 404) },
});

const getWallet = createRoute({
  method: "get",
  path: "/wallets/{wallet_address}",
  tags,
  security,
  summary: "One wallet with its token holdings and recent transactions (D1 only)",
  request: { params: WalletAddressParam },
  responses: { 200: jsonContent(CachedWalletSchema, "The cached wallet"), ...errorResponses(400, 404) },
});

const updateWallet = createRoute({
  method: "put",
  path: "/wallets/{wallet_address}",
  tags,
  security,
  summary: "Update a wallet's metadata (label, type, notes) or archive/unarchive it (status rule enforced)",
  request: {
    params: WalletAddressParam,
    body: { content: { "application/json": { schema: UpdateWalletSchema } }, required: true },
  },
  responses: { 200: jsonContent(CachedWalletSchema, "The updated wallet"), ...errorResponses(400, 404, 409, 422) },
});

const deleteWallet = createRoute({
  method: "delete",
  path: "/wallets/{wallet_address}",
  tags,
  security,
  summary: "Remove a wallet; one with launch records or scheduled fundings is kept (409, or archived with ?force=true)",
  description:
    "A wallet without operator history is deleted with its cached holdings and transactions (204). Launch " +
    "records and scheduled fundings are operator-written history, not chain copies: while any exist the " +
    "delete is refused (409) unless `?force=true`, which archives the wallet (200), keeps every record and " +
    "cancels the fundings that are still only scheduled.",
  request: { params: WalletAddressParam, query: DeleteWalletQuery },
  responses: {
    200: jsonContent(CachedWalletSchema, "Archived (force=true with history); nothing was deleted"),
    204: { description: "Deleted (no operator history)" },
    ...errorResponses(400, 404, 409),
  },
});

const refreshOne = createRoute({
  method: "post",
  path: "/wallets/{wallet_address}/refresh",
  tags,
  security,
  summary: "Refresh one wallet from Solana: SOL balance, holdings (Token + Token-2022), recent transactions",
  description:
    "The three parts are independent: a part that fails keeps its previous cached data untouched and is " +
    "reported in `refresh` with a UI-friendly message. 200 = all parts refreshed; 207 Multi-Status = some " +
    "failed; 503 = all failed (the body is the error envelope plus the cached data).",
  request: { params: WalletAddressParam },
  responses: {
    ...errorResponses(400, 404), // first: the 503 below (cached data + envelope) replaces the generic one
    200: jsonContent(RefreshResponseSchema, "All three parts refreshed"),
    207: jsonContent(RefreshResponseSchema, "Multi-Status: some parts failed; their cached data was kept"),
    503: jsonContent(RefreshUnavailableSchema, "No part could be refreshed: error envelope plus the cached data"),
  },
});

const listHandler: RouteHandler<typeof listWallets, AppEnv> = async (c) => {
  const db = getDb(c.env.DB);
  const { staleSeconds } = await settings(db);
  const views = await viewsOf(db, await listWalletRows(db), staleSeconds);
  return c.json({ data: views, ...listCache(views, staleSeconds), source: "cache" as const }, 200);
};

const createHandler: RouteHandler<typeof createWallet, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const db = getDb(c.env.DB);
  const now = nowIso();
  const inserted = await db
    .insert(walletInfo)
    .values({
      address: body.address,
      label: body.label ?? null,
      wallet_type: body.wallet_type,
      notes: body.notes ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflictDoNothing()
    .returning({ address: walletInfo.address });
  if (inserted.length === 0) throw new ApiError("Conflict", `wallet ${body.address} is already in the portfolio`);
  log.info("portfolio_wallet_created", { wallet: body.address });
  const { staleSeconds } = await settings(db);
  const view = await oneView(db, body.address, staleSeconds);
  return c.json({ data: view, ...pick(view), source: "cache" as const }, 201);
};

/**
 * Metadata as given; a status change through the status rule (operatorStatusChange). The UPDATE is
 * conditional on the fields the rule read, so a refresh or launch landing in between makes it re-read
 * and decide again instead of writing a status derived from stale data.
 */
async function updateWalletRow(
  db: ReturnType<typeof getDb>,
  address: string,
  meta: { label?: string | null; wallet_type?: string; notes?: string | null },
  status: PortfolioStatus | undefined,
  thresholdSol: number,
) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await getWalletRow(db, address);
    if (!row) throw new ApiError("NotFound", `wallet ${address} is not in the portfolio`);
    const now = nowIso();
    const set: Partial<typeof walletInfo.$inferInsert> = { ...meta, updated_at: now };
    if (status) {
      const change = operatorStatusChange(row, status, thresholdSol, now);
      if (!change.ok) throw new ApiError("RuleRefused", change.reason);
      set.status = change.status;
      set.first_funded_at = change.first_funded_at;
    }
    const changed = await db
      .update(walletInfo)
      .set(set)
      .where(
        and(
          eq(walletInfo.address, address),
          eq(walletInfo.status, row.status),
          eq(walletInfo.launch_count, row.launch_count),
          row.first_funded_at === null
            ? isNull(walletInfo.first_funded_at)
            : eq(walletInfo.first_funded_at, row.first_funded_at),
          row.last_balance_lamports === null
            ? isNull(walletInfo.last_balance_lamports)
            : eq(walletInfo.last_balance_lamports, row.last_balance_lamports),
        ),
      )
      .returning({ address: walletInfo.address });
    if (changed.length > 0) return;
  }
  throw new ApiError("Conflict", `wallet ${address} kept changing during the update; try again`);
}

async function historyCounts(db: ReturnType<typeof getDb>, address: string) {
  const [l, f] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(launches).where(eq(launches.wallet_address, address)),
    db.select({ n: sql<number>`count(*)` }).from(scheduledFunding).where(eq(scheduledFunding.wallet_address, address)),
  ]);
  return { launches: l[0]?.n ?? 0, fundings: f[0]?.n ?? 0 };
}

const pick = (v: { cached_at: string | null; cache_age_seconds: number | null; is_stale: boolean }) => ({
  cached_at: v.cached_at,
  cache_age_seconds: v.cache_age_seconds,
  is_stale: v.is_stale,
});

export const portfolioWalletsRouter = createRouter()
  .openapi(listWallets, listHandler)
  .openapi(slashAlias(listWallets), listHandler as never)
  .openapi(createWallet, createHandler)
  .openapi(slashAlias(createWallet), createHandler as never)
  .openapi(refreshAll, async (c) => {
    const db = getDb(c.env.DB);
    const cfg = await loadConfig(db);
    const s = await settings(db);
    const running = await activeRun(db);
    if (running)
      throw new ApiError(
        "Conflict",
        `a refresh-all is already in progress (run ${running.id}: ${running.wallets_done}/${running.wallets_total} ` +
          `wallets); follow it at GET /api/wallets/refresh-all/${running.id}`,
      );
    // One subrequest of this invocation is kept for handing the rest to the PortfolioRefresher.
    const started = await startRun(db, Math.max(1, cfg.max_subrequests_per_invocation - 1));
    const { run, results } = await runNextChunk(c.env, db, started.id, s);
    const after = run ?? started;
    if (after.status === "running") await c.env.PORTFOLIO_REFRESHER.getByName("default").continueRun(after.id);
    const views = await viewsOf(db, await listWalletRows(db), s.staleSeconds);
    const items = results.map((r) => {
      const code = refreshHttpStatus(outcomesOf(r.parts));
      return {
        ...r,
        status: code === 200 ? ("ok" as const) : code === 207 ? ("partial" as const) : ("failed" as const),
      };
    });
    const summary = { wallets: after.wallets_total, ok: after.ok, partial: after.partial, failed: after.failed };
    log.info("portfolio_refreshed_all", { run: after.id, status: after.status, ...summary, chunks: after.chunks });
    const body = {
      data: views,
      ...listCache(views, s.staleSeconds),
      // Nothing came from the chain when everything failed: the data is the cache's.
      source: summary.failed === after.wallets_done ? ("cache" as const) : ("solana" as const),
      results: items,
      summary,
      run: runView(after),
    };
    if (after.status === "running") return c.json(body, 202);
    if (summary.wallets > 0 && summary.failed === summary.wallets)
      return c.json(
        { ...body, ...errorBody("UpstreamUnavailable", "the Solana RPC could not be reached for any wallet") },
        503,
      );
    return c.json(body, summary.ok === summary.wallets ? 200 : 207);
  })
  .openapi(refreshRunRoute, async (c) => {
    const { run_id } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const run = run_id === "latest" ? await latestRun(db) : await getRun(db, run_id);
    if (!run) throw new ApiError("NotFound", `no refresh-all run ${run_id}`);
    return c.json(
      {
        data: runView(run),
        ...recordsCacheStatus(
          [{ chain_backed: false, chain_checked_at: null, changed_at: run.updated_at }],
          0,
          Date.now(),
        ),
        source: "cache" as const,
      },
      200,
    );
  })
  .openapi(getWallet, async (c) => {
    const { wallet_address } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const { staleSeconds } = await settings(db);
    const view = await oneView(db, wallet_address, staleSeconds);
    return c.json({ data: view, ...pick(view), source: "cache" as const }, 200);
  })
  .openapi(updateWallet, async (c) => {
    const { wallet_address } = c.req.valid("param");
    const { status, ...meta } = c.req.valid("json");
    const db = getDb(c.env.DB);
    const s = await settings(db);
    await updateWalletRow(db, wallet_address, meta, status, s.fundedThresholdSol);
    log.info("portfolio_wallet_updated", {
      wallet: wallet_address,
      fields: [...Object.keys(meta), ...(status ? ["status"] : [])],
    });
    const view = await oneView(db, wallet_address, s.staleSeconds);
    return c.json({ data: view, ...pick(view), source: "cache" as const }, 200);
  })
  .openapi(deleteWallet, async (c) => {
    const { wallet_address } = c.req.valid("param");
    const { force } = c.req.valid("query");
    const db = getDb(c.env.DB);
    // One statement: deleted only if no launch record or scheduled funding exists at that instant, so a
    // record written concurrently is never swept away by ON DELETE CASCADE. Holdings and recent
    // transactions (copies of chain data) go with the row.
    const gone = await db
      .delete(walletInfo)
      .where(
        and(
          eq(walletInfo.address, wallet_address),
          sql`NOT EXISTS (SELECT 1 FROM ${launches} WHERE ${launches.wallet_address} = ${wallet_address})`,
          sql`NOT EXISTS (SELECT 1 FROM ${scheduledFunding} WHERE ${scheduledFunding.wallet_address} = ${wallet_address})`,
        ),
      )
      .returning({ address: walletInfo.address });
    if (gone.length > 0) {
      log.info("portfolio_wallet_deleted", { wallet: wallet_address });
      return c.body(null, 204);
    }
    const row = await getWalletRow(db, wallet_address);
    if (!row) throw new ApiError("NotFound", `wallet ${wallet_address} is not in the portfolio`);
    const history = await historyCounts(db, wallet_address);
    if (!force)
      throw new ApiError(
        "Conflict",
        `wallet ${wallet_address} has operator history (${history.launches} launch record(s), ` +
          `${history.fundings} scheduled funding(s)) that a delete would lose; ` +
          "DELETE with ?force=true archives the wallet instead and keeps that history",
      );
    const now = nowIso();
    // Archive and cancel what is still only scheduled (never a funding already signed) in one batch.
    const [, cancelled] = await db.batch([
      db.update(walletInfo).set({ status: "ARCHIVED", updated_at: now }).where(eq(walletInfo.address, wallet_address)),
      db
        .update(scheduledFunding)
        .set({ status: "cancelled", cancelled_at: now, updated_at: now })
        .where(
          and(
            eq(scheduledFunding.wallet_address, wallet_address),
            eq(scheduledFunding.status, "scheduled"),
            isNull(scheduledFunding.tx_signature),
          ),
        )
        .returning({ id: scheduledFunding.id }),
    ]);
    log.info("portfolio_wallet_archived", { wallet: wallet_address, ...history, fundings_cancelled: cancelled.length });
    const { staleSeconds } = await settings(db);
    const view = await oneView(db, wallet_address, staleSeconds);
    return c.json({ data: view, ...pick(view), source: "cache" as const }, 200);
  })
  .openapi(refreshOne, async (c) => {
    const { wallet_address } = c.req.valid("param");
    const db = getDb(c.env.DB);
    const s = await settings(db);
    const row = await getWalletRow(db, wallet_address);
    if (!row) throw new ApiError("NotFound", `wallet ${wallet_address} is not in the portfolio`);
    const parts = await refreshWallet(c.env, db, row, s);
    const view = await oneView(db, wallet_address, s.staleSeconds);
    const code = refreshHttpStatus(outcomesOf(parts));
    log.info("portfolio_wallet_refreshed", {
      wallet: wallet_address,
      balance: parts.balance.status,
      holdings: parts.holdings.status,
      funding: parts.funding.status,
    });
    const body = {
      data: view,
      ...pick(view),
      source: code === 503 ? ("cache" as const) : ("solana" as const),
      refresh: parts,
    };
    if (code === 503)
      return c.json({ ...body, ...errorBody("UpstreamUnavailable", "the Solana RPC could not be reached") }, 503);
    return c.json(body, code);
  });
