import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, count, eq, inArray, notExists, type SQL, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { isConstraintError } from "../db/constraint-error";
import { raisePausedLeaders } from "../db/leader-alerts";
import { liveGateInput, overrideInsertIfVersion, overrideRow } from "../db/live-gate-store";
import {
  exitStrategies,
  liveGateOverrides,
  positions,
  SYNC_STATUSES,
  WALLET_MODES,
  type WalletRow,
  wallets,
} from "../db/schema";
import { addressProblem } from "../domain/address";
import { EditableConfigSchema } from "../domain/config";
import { nextVersion } from "../domain/config-change";
import { liveGate } from "../domain/live-gate";
import { parseWalletKey, walletTransition } from "../domain/wallet-rules";
import { ApiError } from "../lib/errors";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf, queryBool } from "./common";
import { liveReadiness } from "./live-readiness";
import { createRouter } from "./router";

const cfg = EditableConfigSchema.shape;
const text = (max: number) => z.string().trim().min(1).max(max).nullable();

export const SolanaAddress = z
  .string()
  .superRefine((s, ctx) => {
    const problem = addressProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({ example: "5tzFkiKscXHK5ZXCGbXZxdw7gTjjD1mBwuoFbhUvuAi9" });

/** The operator-editable fields of a watched wallet (everything but the address and the sync state). */
export const walletFields = {
  label: text(100),
  mode: z.enum(WALLET_MODES),
  is_active: z.boolean(),
  exit_strategy_id: z.number().int().positive(),
  capital_allocation_percent: z.number().gt(0).max(100).nullable(),
  discovery_source: text(200),
  discovery_date: z.union([z.iso.date(), z.iso.datetime()]).nullable(),
  discovery_notes: text(2000),
  initial_win_rate_percent: z.number().min(0).max(100).nullable(),
  initial_trades_observed: z.number().int().min(0).max(10_000_000).nullable(),
  // copy-rule overrides: null = use the config default; same ranges as the config
  min_leader_trade_sol: cfg.min_leader_trade_sol.nullable(),
  max_leader_trade_sol: cfg.max_leader_trade_sol.nullable(),
  allow_rebuys: cfg.allow_rebuys.nullable(),
  rebuy_size_percent: cfg.rebuy_size_percent.nullable(),
  mint_cooldown_seconds: cfg.mint_cooldown_seconds.nullable(),
  position_sizing_mode: cfg.position_sizing_mode.nullable(),
  fixed_position_usd: cfg.fixed_position_usd.nullable(),
  leader_ratio: cfg.leader_ratio.nullable(),
};
type WalletFields = { [K in keyof typeof walletFields]: z.infer<(typeof walletFields)[K]> };

// `.strict()` everywhere: a misspelt field is refused, not silently dropped.
const WalletCreate = z
  .object({ address: SolanaAddress, ...walletFields })
  .partial()
  .required({ address: true })
  .strict()
  .openapi("WalletCreate");
/** PUT replaces every editable field (omitted ones return to their default); the address may be repeated, not changed. */
const WalletReplace = z
  .object({ address: SolanaAddress, ...walletFields })
  .partial()
  .strict()
  .openapi("WalletReplace");
const WalletPatch = WalletReplace.openapi("WalletPatch");

const WalletSchema = z
  .object({
    id: z.number().int(),
    address: z.string(),
    ...walletFields,
    exit_strategy_id: z.number().int().nullable(),
    helius_sync_status: z.enum(SYNC_STATUSES),
    helius_synced_at: z.string().nullable(),
    helius_sync_error: z.string().nullable(),
    last_signal_at: z.string().nullable(),
    deactivated_at: z.string().nullable(),
    evaluated_at: z.string().nullable(),
    evaluation_strategy_id: z.number().int().nullable(),
    evaluation_source: z.string().nullable(),
    evaluation_trades: z.number().int().nullable(),
    evaluation_win_rate_percent: z.number().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Wallet");

/**
 * Optimistic concurrency for a client that decided its change on a wallet it read earlier (the dashboard's
 * edit form): the `updated_at` it read. If the wallet changed since, the change is refused with 409 instead
 * of silently undoing the other change. Optional for API clients.
 */
const VersionHeaders = z.object({
  "if-match": z
    .string()
    .max(64)
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "the wallet's updated_at this change was decided on; a newer wallet answers 409",
      example: "2026-01-01T00:00:00.000Z",
    }),
});

const KeyParam = z.object({
  id_or_address: z.string().openapi({ param: { name: "id_or_address", in: "path" }, example: "1" }),
});

const ListQuery = PageQuery.extend({ mode: z.enum(WALLET_MODES).optional(), is_active: queryBool.optional() });
const DeleteQuery = z.object({ force: queryBool.optional() });

const tags = ["watchlist"];
/** `?force=true` switches a wallet to live past the live gate; every such override is recorded. */
const ForceQuery = z.object({
  force: queryBool.optional().openapi({ description: "switch to live past the live gate (recorded)" }),
});
/** The example Swagger UI pre-fills (it must pass the schema: test/openapi-doc.test.ts checks it). */
const json = <T extends z.ZodType>(schema: T, example: Record<string, unknown>) => ({
  body: { content: { "application/json": { schema, example } }, required: true },
});
const WALLET_EXAMPLE = { address: "7YygHaahdKVNtbu9GyFRnnBgf7hKzC76hnuHHfxCKRij", label: "alpha", mode: "simulation" };

const createWallet = createRoute({
  method: "post",
  path: "/wallets",
  tags,
  summary: "Add a wallet to the watchlist (starts helius_sync_status = pending)",
  security: bearerSecurity,
  request: { query: ForceQuery, ...json(WalletCreate, WALLET_EXAMPLE) },
  responses: { 201: jsonContent(WalletSchema, "The new wallet"), ...errorResponses(400, 409, 422) },
});
const listWallets = createRoute({
  method: "get",
  path: "/wallets",
  tags,
  summary: "List the watchlist",
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: { 200: jsonContent(pageOf(WalletSchema, "WalletPage"), "A page of wallets"), ...errorResponses(400) },
});
const getWallet = createRoute({
  method: "get",
  path: "/wallets/{id_or_address}",
  tags,
  summary: "One wallet, by numeric id or by address",
  security: bearerSecurity,
  request: { params: KeyParam },
  responses: { 200: jsonContent(WalletSchema, "The wallet"), ...errorResponses(400, 404) },
});
const putWallet = createRoute({
  method: "put",
  path: "/wallets/{id_or_address}",
  tags,
  summary: "Replace a wallet's editable fields",
  security: bearerSecurity,
  request: { params: KeyParam, query: ForceQuery, headers: VersionHeaders, ...json(WalletReplace, WALLET_EXAMPLE) },
  responses: { 200: jsonContent(WalletSchema, "The wallet"), ...errorResponses(400, 404, 409, 422) },
});
const patchWallet = createRoute({
  method: "patch",
  path: "/wallets/{id_or_address}",
  tags,
  summary: "Change some of a wallet's fields",
  security: bearerSecurity,
  request: {
    params: KeyParam,
    query: ForceQuery,
    headers: VersionHeaders,
    ...json(WalletPatch, { label: "alpha (paused)", is_active: false }),
  },
  responses: { 200: jsonContent(WalletSchema, "The wallet"), ...errorResponses(400, 404, 409, 422) },
});
const deleteWallet = createRoute({
  method: "delete",
  path: "/wallets/{id_or_address}",
  tags,
  summary: "Delete a wallet; with ?force=true deactivate it instead (keeps its history)",
  security: bearerSecurity,
  request: { params: KeyParam, query: DeleteQuery },
  responses: {
    200: jsonContent(WalletSchema, "force=true: the wallet, now inactive"),
    204: { description: "Deleted" },
    ...errorResponses(400, 404, 409),
  },
});

export async function findWallet(db: Db, key: string): Promise<WalletRow> {
  const parsed = parseWalletKey(key);
  if (!parsed) throw new ApiError("ValidationError", "id_or_address: must be a numeric id or a base58 Solana address");
  const where = "id" in parsed ? eq(wallets.id, parsed.id) : eq(wallets.address, parsed.address);
  const row = await db.select().from(wallets).where(where).get();
  if (!row) throw new ApiError("NotFound", `no wallet ${key} on the watchlist`);
  return row;
}

async function resolveStrategy(db: Db, id: number | undefined): Promise<number> {
  const row = await db
    .select({ id: exitStrategies.id })
    .from(exitStrategies)
    .where(id === undefined ? eq(exitStrategies.is_default, true) : eq(exitStrategies.id, id))
    .get();
  if (row) return row.id;
  if (id === undefined) throw new ApiError("NotConfigured", "exit_strategy_id: no default exit strategy exists");
  throw new ApiError("RuleRefused", `exit_strategy_id: no exit strategy with id ${id}`);
}

function checkCrossFields(f: Partial<WalletFields>) {
  if (
    f.min_leader_trade_sol != null &&
    f.max_leader_trade_sol != null &&
    f.min_leader_trade_sol > f.max_leader_trade_sol
  )
    throw new ApiError("ValidationError", "min_leader_trade_sol: must not exceed max_leader_trade_sol");
}

/** Every editable field at its default, for POST and for PUT (full replacement); the backup's example too. */
export const DEFAULTS: Omit<WalletFields, "exit_strategy_id"> = {
  label: null,
  mode: "simulation",
  is_active: true,
  capital_allocation_percent: null,
  discovery_source: null,
  discovery_date: null,
  discovery_notes: null,
  initial_win_rate_percent: null,
  initial_trades_observed: null,
  min_leader_trade_sol: null,
  max_leader_trade_sol: null,
  allow_rebuys: null,
  rebuy_size_percent: null,
  mint_cooldown_seconds: null,
  position_sizing_mode: null,
  fixed_position_usd: null,
  leader_ratio: null,
};

/**
 * The live gate (issue 14) for a switch to live: refused with the numbers unless the wallet passed an
 * evaluation or has enough simulated copies; `force` lets it through and returns the audit row to write
 * in the same batch as the switch.
 */
async function gateLive(
  db: Db,
  before: WalletRow | null,
  after: { mode: string },
  address: string,
  force: boolean,
): Promise<ReturnType<typeof overrideRow> | null> {
  if (after.mode !== "live" || before?.mode === "live") return null;
  const input = await liveGateInput(db, before);
  const gate = liveGate(input);
  if (gate.ok) return null;
  if (!force) throw new ApiError("RuleRefused", gate.detail);
  return overrideRow(address, before?.id ?? null, input, gate);
}

/** Maps a lost race on a key to the right status instead of a 500. */
function mapWriteError(err: unknown, address: string): never {
  if (isConstraintError(err, "UNIQUE"))
    throw new ApiError("Conflict", `address: ${address} is already on the watchlist`);
  if (isConstraintError(err, "FOREIGN KEY"))
    throw new ApiError("RuleRefused", "exit_strategy_id: the exit strategy no longer exists");
  throw err;
}

/** The wallet is paused already; its alert must not fail the answer (the 5-minute monitor raises it then). */
async function alertPaused(d1: D1Database) {
  try {
    await raisePausedLeaders(d1);
  } catch (err) {
    log.warn("leader_paused_alert_failed", { error: redact(err) });
  }
}

const staleWallet = (ifMatch: string, now: string) =>
  new ApiError("Conflict", `if-match: the wallet changed since ${ifMatch} (now ${now}); re-read it and decide again`);

async function updateWallet(
  env: Env,
  key: string,
  body: z.infer<typeof WalletReplace>,
  replace: boolean,
  force = false,
  ifMatch?: string,
): Promise<WalletRow> {
  const db = getDb(env.DB);
  const current = await findWallet(db, key);
  if (ifMatch !== undefined && current.updated_at !== ifMatch) throw staleWallet(ifMatch, current.updated_at);
  const { address, ...changes } = body;
  if (address !== undefined && address !== current.address)
    throw new ApiError("RuleRefused", "address: the address of a wallet cannot be changed; add a new wallet instead");
  const base: Partial<WalletFields> = replace ? DEFAULTS : {};
  const exit_strategy_id =
    changes.exit_strategy_id !== undefined || replace
      ? await resolveStrategy(db, changes.exit_strategy_id)
      : (current.exit_strategy_id ?? undefined);
  const next = { ...current, ...base, ...changes, exit_strategy_id } as WalletRow;
  checkCrossFields(next as unknown as Partial<WalletFields>);
  const now = nowIso();
  const live = await liveReadiness(env, db, next.mode === "live" && current.mode !== "live");
  const t = walletTransition(current, next, { live, now });
  if (!t.ok) throw new ApiError("RuleRefused", t.reason);
  const forced = await gateLive(db, current, next, current.address, force);
  const set = {
    ...base,
    ...changes,
    exit_strategy_id,
    // Strictly after the version read: two edits within one millisecond still differ (If-Match, helius sync).
    updated_at: nextVersion(current.updated_at, Date.parse(now)),
    ...(t.resetSync ? { helius_sync_status: "pending" as const, helius_sync_error: null } : {}),
    ...(t.deactivated_at !== undefined ? { deactivated_at: t.deactivated_at } : {}),
  };
  try {
    // With If-Match the write itself is conditional on the version read: a change landing between the
    // check above and this write is never overwritten.
    const where =
      ifMatch === undefined
        ? eq(wallets.id, current.id)
        : and(eq(wallets.id, current.id), eq(wallets.updated_at, ifMatch));
    const update = db.update(wallets).set(set).where(where).returning();
    // A forced switch and its audit row land together or not at all (the row only if the version still holds).
    const audit = forced
      ? ifMatch === undefined
        ? db.insert(liveGateOverrides).values(forced)
        : overrideInsertIfVersion(db, forced, current.id, ifMatch)
      : null;
    const rows = audit ? (await db.batch([audit, update]))[1] : await update;
    const row = rows[0];
    if (!row) {
      const fresh =
        ifMatch === undefined ? null : await db.select().from(wallets).where(eq(wallets.id, current.id)).get();
      if (fresh && ifMatch !== undefined) throw staleWallet(ifMatch, fresh.updated_at);
      throw new ApiError("NotFound", `no wallet ${key} on the watchlist`);
    }
    if (forced) log.warn("wallet_live_forced", { wallet_id: row.id, detail: forced.detail });
    log.info("wallet_updated", { wallet_id: row.id, fields: Object.keys(changes) });
    if (current.is_active && !row.is_active) await alertPaused(env.DB);
    return row;
  } catch (err) {
    mapWriteError(err, current.address);
  }
}

export const walletsRouter = createRouter()
  .openapi(createWallet, async (c) => {
    const db = getDb(c.env.DB);
    const { address, ...fields } = c.req.valid("json");
    const exit_strategy_id = await resolveStrategy(db, fields.exit_strategy_id);
    const values = { ...DEFAULTS, ...fields, exit_strategy_id };
    checkCrossFields(values);
    const now = nowIso();
    const live = await liveReadiness(c.env, db, values.mode === "live");
    const t = walletTransition(null, values, { live, now });
    if (!t.ok) throw new ApiError("RuleRefused", t.reason);
    const forced = await gateLive(db, null, values, address, c.req.valid("query").force === true);
    try {
      // The unique index on address decides between two concurrent creations: the loser gets 409.
      const insert = db
        .insert(wallets)
        .values({
          ...values,
          address,
          helius_sync_status: "pending",
          deactivated_at: t.deactivated_at ?? null,
          created_at: now,
          updated_at: now,
        })
        .returning();
      const row = (
        forced ? (await db.batch([insert, db.insert(liveGateOverrides).values(forced)]))[0] : await insert
      )[0] as WalletRow;
      if (forced) log.warn("wallet_live_forced", { wallet_id: row.id, detail: forced.detail });
      log.info("wallet_added", { wallet_id: row.id, address, mode: row.mode });
      return c.json(row, 201);
    } catch (err) {
      mapWriteError(err, address);
    }
  })
  .openapi(listWallets, async (c) => {
    const { page, page_size, mode, is_active } = c.req.valid("query");
    const db = getDb(c.env.DB);
    const filters: SQL[] = [];
    if (mode) filters.push(eq(wallets.mode, mode));
    if (is_active !== undefined) filters.push(eq(wallets.is_active, is_active));
    const where = filters.length ? and(...filters) : undefined;
    const [items, total] = await Promise.all([
      db
        .select()
        .from(wallets)
        .where(where)
        .orderBy(asc(wallets.id))
        .limit(page_size)
        .offset((page - 1) * page_size),
      db.select({ n: count() }).from(wallets).where(where).get(),
    ]);
    return c.json({ items, total: total?.n ?? 0, page, page_size }, 200);
  })
  .openapi(getWallet, async (c) => {
    return c.json(await findWallet(getDb(c.env.DB), c.req.valid("param").id_or_address), 200);
  })
  .openapi(putWallet, async (c) => {
    const { force } = c.req.valid("query");
    const key = c.req.valid("param").id_or_address;
    const ifMatch = c.req.valid("header")["if-match"];
    return c.json(await updateWallet(c.env, key, c.req.valid("json"), true, force === true, ifMatch), 200);
  })
  .openapi(patchWallet, async (c) => {
    const { force } = c.req.valid("query");
    const key = c.req.valid("param").id_or_address;
    const ifMatch = c.req.valid("header")["if-match"];
    return c.json(await updateWallet(c.env, key, c.req.valid("json"), false, force === true, ifMatch), 200);
  })
  .openapi(deleteWallet, async (c) => {
    const db = getDb(c.env.DB);
    const wallet = await findWallet(db, c.req.valid("param").id_or_address);
    const { force } = c.req.valid("query");
    const openOf = and(eq(positions.wallet_id, wallet.id), inArray(positions.status, ["open", "closing"]));
    const open = await db.select({ n: count() }).from(positions).where(openOf).get();
    const openCount = open?.n ?? 0;
    if (force) {
      // Deactivate instead of deleting: the signals, orders and positions keep their wallet.
      const now = nowIso();
      const row = await db
        .update(wallets)
        .set({
          is_active: false,
          updated_at: now,
          ...(wallet.is_active ? { deactivated_at: now, helius_sync_status: "pending" as const } : {}),
        })
        .where(eq(wallets.id, wallet.id))
        .returning()
        .get();
      log.info("wallet_deactivated", { wallet_id: wallet.id, open_positions: openCount });
      if (wallet.is_active) await alertPaused(c.env.DB);
      return c.json(row as WalletRow, 200);
    }
    if (openCount > 0)
      throw new ApiError(
        "Conflict",
        `wallet ${wallet.id} has ${openCount} open position(s); DELETE with ?force=true deactivates it instead`,
      );
    let deleted: { id: number }[];
    try {
      // Re-checked inside the DELETE: a position opened since the count above keeps the wallet.
      deleted = await db
        .delete(wallets)
        .where(and(eq(wallets.id, wallet.id), notExists(db.select({ one: sql`1` }).from(positions).where(openOf))))
        .returning({ id: wallets.id });
    } catch (err) {
      // Signals, orders or closed positions still reference it: deleting would lose history.
      if (isConstraintError(err, "FOREIGN KEY"))
        throw new ApiError(
          "Conflict",
          `wallet ${wallet.id} has recorded signals, orders or positions; DELETE with ?force=true deactivates it and keeps them`,
        );
      throw err;
    }
    if (!deleted.length)
      throw new ApiError("Conflict", `wallet ${wallet.id} has an open position; retry or use ?force=true`);
    log.info("wallet_deleted", { wallet_id: wallet.id, address: wallet.address });
    return c.body(null, 204);
  });
