import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, count, eq, inArray, ne, notExists, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { isConstraintError } from "../db/constraint-error";
import { type ExitStrategyRow, exitStrategies, positions, wallets } from "../db/schema";
import {
  mergeStrategy,
  rulesFromRow,
  StrategyOverrideSchema,
  type StrategyRules,
  strategyProblems,
} from "../domain/exit-strategy";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

/** Rules a new strategy (or a PUT) gets for the fields it leaves out: every rule off but the mirror exit. */
const RULE_DEFAULTS: StrategyRules = {
  stop_loss_percent: null,
  trailing_stop_percent: null,
  trailing_activation_percent: null,
  scaling_levels: [],
  mirror_exit_enabled: true,
  max_hold_minutes: null,
  take_profit_table: [],
};

const catalogFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(1000).nullable(),
  is_default: z.boolean(),
};

// The rule ranges come from the shared exit-strategy module; cross-field rules are checked after the merge.
const StrategyCreate = StrategyOverrideSchema.extend(catalogFields)
  .partial({ description: true, is_default: true })
  .strict()
  .openapi("ExitStrategyCreate");
const StrategyPatch = StrategyOverrideSchema.extend(catalogFields).partial().strict().openapi("ExitStrategyPatch");

const ExitStrategySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    is_default: z.boolean(),
    stop_loss_percent: z.number().nullable(),
    trailing_stop_percent: z.number().nullable(),
    trailing_activation_percent: z.number().nullable(),
    scaling_levels: z.array(z.object({ multiple: z.number(), sell_percent: z.number() })),
    mirror_exit_enabled: z.boolean(),
    max_hold_minutes: z.number().int().nullable(),
    take_profit_table: z.array(z.object({ after_minutes: z.number(), min_profit_percent: z.number() })),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ExitStrategy");

const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

const tags = ["exit-strategies"];
/** The example Swagger UI pre-fills (it must pass the schema: test/openapi-doc.test.ts checks it). */
const STRATEGY_EXAMPLE = {
  name: "Scalp 2x",
  description: "Tight stop, half out at 2x, trailing after +30 %",
  stop_loss_percent: 20,
  trailing_stop_percent: 15,
  trailing_activation_percent: 30,
  scaling_levels: [{ multiple: 2, sell_percent: 50 }],
  mirror_exit_enabled: true,
  max_hold_minutes: 240,
  take_profit_table: [{ after_minutes: 60, min_profit_percent: 10 }],
  is_default: false,
};
const body = <T extends z.ZodType>(schema: T, example: Record<string, unknown> = STRATEGY_EXAMPLE) => ({
  body: { content: { "application/json": { schema, example } }, required: true },
});

const listRoute = createRoute({
  method: "get",
  path: "/exit-strategies",
  tags,
  summary: "The exit-strategy catalog",
  security: bearerSecurity,
  responses: { 200: jsonContent(z.array(ExitStrategySchema), "Every strategy"), ...errorResponses() },
});
const getRoute = createRoute({
  method: "get",
  path: "/exit-strategies/{id}",
  tags,
  summary: "One strategy",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(ExitStrategySchema, "The strategy"), ...errorResponses(400, 404) },
});
const createRoute_ = createRoute({
  method: "post",
  path: "/exit-strategies",
  tags,
  summary: "Add a strategy (is_default = true moves the default to it)",
  security: bearerSecurity,
  request: body(StrategyCreate),
  responses: { 201: jsonContent(ExitStrategySchema, "The new strategy"), ...errorResponses(400, 409) },
});
const putRoute = createRoute({
  method: "put",
  path: "/exit-strategies/{id}",
  tags,
  summary: "Replace a strategy (omitted rules are off)",
  security: bearerSecurity,
  request: { params: IdParam, ...body(StrategyCreate) },
  responses: { 200: jsonContent(ExitStrategySchema, "The strategy"), ...errorResponses(400, 404, 409, 422) },
});
const patchRoute = createRoute({
  method: "patch",
  path: "/exit-strategies/{id}",
  tags,
  summary: "Change some fields of a strategy",
  security: bearerSecurity,
  request: { params: IdParam, ...body(StrategyPatch, { stop_loss_percent: 25, max_hold_minutes: 120 }) },
  responses: { 200: jsonContent(ExitStrategySchema, "The strategy"), ...errorResponses(400, 404, 409, 422) },
});
const deleteRoute = createRoute({
  method: "delete",
  path: "/exit-strategies/{id}",
  tags,
  summary: "Delete a strategy no wallet or position uses (never the default)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 404, 409) },
});

const toApi = (row: ExitStrategyRow) => ({ ...row, ...rulesFromRow(row) });

const toColumns = (r: StrategyRules) => ({
  ...r,
  scaling_levels: JSON.stringify(r.scaling_levels),
  take_profit_table: JSON.stringify(r.take_profit_table),
});

function checkRules(r: StrategyRules) {
  const problems = strategyProblems(r);
  if (problems.length) throw new ApiError("ValidationError", problems.join("; "));
}

async function findStrategy(db: Db, id: number): Promise<ExitStrategyRow> {
  const row = await db.select().from(exitStrategies).where(eq(exitStrategies.id, id)).get();
  if (!row) throw new ApiError("NotFound", `no exit strategy ${id}`);
  return row;
}

function mapWriteError(err: unknown, name: string | undefined): never {
  if (isConstraintError(err, "UNIQUE", "exit_strategies.name"))
    throw new ApiError("Conflict", `name: an exit strategy named "${name}" already exists`);
  if (isConstraintError(err, "UNIQUE"))
    throw new ApiError("Conflict", "is_default: the default changed concurrently; retry");
  throw err;
}

const splitCatalog = <T extends { name?: string; description?: string | null; is_default?: boolean }>(b: T) => {
  const { name, description, is_default, ...rules } = b;
  return { catalog: { name, description, is_default }, rules };
};

async function updateStrategy(env: Env, id: number, b: z.infer<typeof StrategyPatch>, replace: boolean) {
  const db = getDb(env.DB);
  const current = await findStrategy(db, id);
  const { catalog, rules: patch } = splitCatalog(b);
  const rules = mergeStrategy(replace ? RULE_DEFAULTS : rulesFromRow(current), patch);
  checkRules(rules);
  // "Exactly one default at all times": the default moves by making another one the default.
  if (current.is_default && catalog.is_default === false)
    throw new ApiError(
      "RuleRefused",
      "is_default: exactly one strategy is the default; make another strategy the default instead",
    );
  const set = {
    ...toColumns(rules),
    ...(catalog.name !== undefined ? { name: catalog.name } : {}),
    ...(catalog.description !== undefined || replace ? { description: catalog.description ?? null } : {}),
    updated_at: nowIso(),
  };
  const becomesDefault = catalog.is_default === true && !current.is_default;
  try {
    const update = db
      .update(exitStrategies)
      .set({ ...set, ...(becomesDefault ? { is_default: true } : {}) })
      .where(eq(exitStrategies.id, id))
      .returning();
    // One atomic batch: clear the old default, set the new one (the partial unique index allows one at most).
    const results = becomesDefault
      ? await db.batch([
          db
            .update(exitStrategies)
            .set({ is_default: false, updated_at: nowIso() })
            .where(and(eq(exitStrategies.is_default, true), ne(exitStrategies.id, id))),
          update,
        ])
      : [undefined, await update];
    const row = (results[1] as ExitStrategyRow[])[0];
    if (!row) throw new ApiError("NotFound", `no exit strategy ${id}`);
    log.info("exit_strategy_updated", { exit_strategy_id: id, is_default: row.is_default });
    return toApi(row);
  } catch (err) {
    mapWriteError(err, catalog.name);
  }
}

export const exitStrategiesRouter = createRouter()
  .openapi(listRoute, async (c) => {
    const rows = await getDb(c.env.DB).select().from(exitStrategies).orderBy(asc(exitStrategies.id));
    return c.json(rows.map(toApi), 200);
  })
  .openapi(getRoute, async (c) => {
    return c.json(toApi(await findStrategy(getDb(c.env.DB), c.req.valid("param").id)), 200);
  })
  .openapi(createRoute_, async (c) => {
    const db = getDb(c.env.DB);
    const { catalog, rules: patch } = splitCatalog(c.req.valid("json"));
    const rules = mergeStrategy(RULE_DEFAULTS, patch);
    checkRules(rules);
    const now = nowIso();
    const insert = db
      .insert(exitStrategies)
      .values({
        ...toColumns(rules),
        name: catalog.name as string,
        description: catalog.description ?? null,
        is_default: catalog.is_default === true,
        created_at: now,
        updated_at: now,
      })
      .returning();
    try {
      const results = catalog.is_default
        ? await db.batch([
            db
              .update(exitStrategies)
              .set({ is_default: false, updated_at: now })
              .where(eq(exitStrategies.is_default, true)),
            insert,
          ])
        : [undefined, await insert];
      const row = (results[1] as ExitStrategyRow[])[0] as ExitStrategyRow;
      log.info("exit_strategy_created", { exit_strategy_id: row.id, is_default: row.is_default });
      return c.json(toApi(row), 201);
    } catch (err) {
      mapWriteError(err, catalog.name);
    }
  })
  .openapi(putRoute, async (c) => {
    return c.json(await updateStrategy(c.env, c.req.valid("param").id, c.req.valid("json"), true), 200);
  })
  .openapi(patchRoute, async (c) => {
    return c.json(await updateStrategy(c.env, c.req.valid("param").id, c.req.valid("json"), false), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const db = getDb(c.env.DB);
    const { id } = c.req.valid("param");
    const row = await findStrategy(db, id);
    if (row.is_default)
      throw new ApiError("Conflict", `exit strategy ${id} is the default; make another strategy the default first`);
    const [walletUses, openUses] = await Promise.all([
      db.select({ n: count() }).from(wallets).where(eq(wallets.exit_strategy_id, id)).get(),
      db
        .select({ n: count() })
        .from(positions)
        .where(and(eq(positions.exit_strategy_id, id), inArray(positions.status, ["open", "closing"])))
        .get(),
    ]);
    if (walletUses?.n || openUses?.n)
      throw new ApiError(
        "Conflict",
        `exit strategy ${id} is used by ${walletUses?.n ?? 0} wallet(s) and ${openUses?.n ?? 0} open position(s); reassign them first`,
      );
    const usedByWallet = db.select({ one: sql`1` }).from(wallets).where(eq(wallets.exit_strategy_id, id));
    const usedByOpen = db
      .select({ one: sql`1` })
      .from(positions)
      .where(and(eq(positions.exit_strategy_id, id), inArray(positions.status, ["open", "closing"])));
    let deleted: { id: number }[];
    try {
      // The "in use" checks run inside the DELETE itself, so a wallet assigned meanwhile still blocks it.
      deleted = await db
        .delete(exitStrategies)
        .where(
          and(
            eq(exitStrategies.id, id),
            eq(exitStrategies.is_default, false),
            notExists(usedByWallet),
            notExists(usedByOpen),
          ),
        )
        .returning({ id: exitStrategies.id });
    } catch (err) {
      if (isConstraintError(err, "FOREIGN KEY"))
        throw new ApiError(
          "Conflict",
          `exit strategy ${id} is referenced by closed positions (their history keeps it)`,
        );
      throw err;
    }
    if (!deleted.length)
      throw new ApiError("Conflict", `exit strategy ${id} is used by a wallet or an open position (or is the default)`);
    log.info("exit_strategy_deleted", { exit_strategy_id: id });
    return c.body(null, 204);
  });
