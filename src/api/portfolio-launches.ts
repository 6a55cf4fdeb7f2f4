import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { isConstraintError } from "../db/constraint-error";
import { statusAfterLaunchSql } from "../db/portfolio-status";
import { getWalletRow, launchCountSql } from "../db/portfolio-store";
import { launches, walletInfo } from "../db/schema";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { cachedRecords, launchFreshness, launchView, staleSecondsOf } from "./portfolio-records";
import { cached, cachedList, LaunchSchema, RecordLaunchSchema, WalletAddressParam } from "./portfolio-schemas";
import { slashAlias } from "./portfolio-wallets";
import { type AppEnv, createRouter } from "./router";

const tags = ["portfolio"];
const security = bearerSecurity;
/** Clock skew tolerated on `launched_at` before it counts as "in the future". */
const FUTURE_GRACE_MS = 60_000;

const CachedLaunchList = cachedList(LaunchSchema, "CachedLaunchList");

const listAll = createRoute({
  method: "get",
  path: "/wallets/launches/",
  tags,
  security,
  summary: "All recorded token launches, newest first",
  responses: {
    200: jsonContent(CachedLaunchList, "Launch records (D1 is their source of truth)"),
    ...errorResponses(),
  },
});

const listOfWallet = createRoute({
  method: "get",
  path: "/wallets/launches/{wallet_address}",
  tags,
  security,
  summary: "Launches of one portfolio wallet, newest first",
  request: { params: WalletAddressParam },
  responses: { 200: jsonContent(CachedLaunchList, "Launch records of the wallet"), ...errorResponses(400, 404) },
});

const record = createRoute({
  method: "post",
  path: "/wallets/launches/record",
  tags,
  security,
  summary: "Record a token launched from a portfolio wallet (wallet becomes LAUNCHED, launch_count +1)",
  request: {
    body: {
      content: {
        "application/json": {
          schema: RecordLaunchSchema,
          example: {
            wallet_address: "83astBRguLMdt2h5U1Tpdq5tjFoJ6noeGwaY3mDLVcri",
            mint_address: "7YygHaahdKVNtbu9GyFRnnBgf7hKzC76hnuHHfxCKRij",
            name: "Example coin",
            ticker: "EXMPL",
            platform: "pump.fun",
            tx_signature: "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW",
            initial_buy_sol: 1.5,
            launched_at: "2026-11-22T08:00:00Z",
          },
        },
      },
      required: true,
    },
  },
  responses: {
    201: jsonContent(cached(LaunchSchema, "CachedLaunch"), "Recorded (is_stale until a refresh confirms tx_signature)"),
    ...errorResponses(400, 404, 409, 422),
  },
});

const listAllHandler: RouteHandler<typeof listAll, AppEnv> = async (c) => {
  const db = getDb(c.env.DB);
  const rows = await db.select().from(launches).orderBy(desc(launches.launched_at));
  return c.json(cachedRecords(rows.map(launchView), rows.map(launchFreshness), await staleSecondsOf(db)), 200);
};

export const portfolioLaunchesRouter = createRouter()
  .openapi(listAll, listAllHandler)
  .openapi(slashAlias(listAll), listAllHandler as never)
  .openapi(record, async (c) => {
    const body = c.req.valid("json");
    const db = getDb(c.env.DB);
    const wallet = await getWalletRow(db, body.wallet_address);
    if (!wallet) throw new ApiError("NotFound", `wallet ${body.wallet_address} is not in the portfolio`);
    const now = Date.now();
    const launchedAt = body.launched_at ?? nowIso(now);
    if (Date.parse(launchedAt) > now + FUTURE_GRACE_MS)
      throw new ApiError("RuleRefused", `launched_at ${launchedAt} is in the future`);
    const existing = await db
      .select({ id: launches.id })
      .from(launches)
      .where(eq(launches.mint_address, body.mint_address))
      .get();
    if (existing)
      throw new ApiError("Conflict", `mint ${body.mint_address} is already recorded as launch ${existing.id}`);
    const id = crypto.randomUUID();
    const row = {
      id,
      wallet_address: body.wallet_address,
      mint_address: body.mint_address,
      name: body.name ?? null,
      ticker: body.ticker ?? null,
      platform: body.platform ?? null,
      tx_signature: body.tx_signature ?? null,
      initial_buy_sol: body.initial_buy_sol ?? null,
      notes: body.notes ?? null,
      launched_at: launchedAt,
      created_at: nowIso(now),
    };
    try {
      // Atomic: the record and the wallet's count/status change together; the count is recomputed
      // from the records, so two concurrent launches cannot lose an increment.
      await db.batch([
        db.insert(launches).values(row),
        db
          .update(walletInfo)
          .set({
            launch_count: launchCountSql(body.wallet_address),
            status: statusAfterLaunchSql(),
            updated_at: nowIso(now),
          })
          .where(eq(walletInfo.address, body.wallet_address)),
      ]);
    } catch (err) {
      if (isConstraintError(err, "UNIQUE", "launches.mint_address"))
        throw new ApiError("Conflict", `mint ${body.mint_address} is already recorded`);
      throw err;
    }
    log.info("portfolio_launch_recorded", { id, wallet: body.wallet_address, mint: body.mint_address });
    const stored = { ...row, confirmation_status: null, chain_error: null, chain_checked_at: null };
    return c.json(cachedRecords(launchView(stored), [launchFreshness(stored)], await staleSecondsOf(db)), 201);
  })
  .openapi(listOfWallet, async (c) => {
    const { wallet_address } = c.req.valid("param");
    const db = getDb(c.env.DB);
    if (!(await getWalletRow(db, wallet_address)))
      throw new ApiError("NotFound", `wallet ${wallet_address} is not in the portfolio`);
    const rows = await db
      .select()
      .from(launches)
      .where(eq(launches.wallet_address, wallet_address))
      .orderBy(desc(launches.launched_at));
    return c.json(cachedRecords(rows.map(launchView), rows.map(launchFreshness), await staleSecondsOf(db)), 200);
  });
