import { createRoute, z } from "@hono/zod-openapi";
import { count, desc, getTableColumns } from "drizzle-orm";
import type { Context } from "hono";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { writeConfigChange } from "../db/config-write";
import { configHistory, config as configTable } from "../db/schema";
import {
  type Config,
  ConfigSchema as DomainConfigSchema,
  type EditableConfig,
  EditableConfigSchema,
} from "../domain/config";
import { decideConfigChange, editableOf, nextVersion } from "../domain/config-change";
import { CONFIG_FIELDS } from "../domain/config-fields";
import { liveSwitchRefusal } from "../domain/live-guard";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { CONFIG_FIELD_HELP } from "./config-docs";
import { liveKeyState } from "./live-readiness";
import { type AppEnv, createRouter } from "./router";

// `.strict()`: an unknown field (a typo, or the sync state `helius_*`, which only the sync job writes)
// is refused with 400 instead of being silently ignored.
/** "≥ 0 and ≤ 100", "integer ≥ 1 and ≤ 1000", "one of a, b": the range as the schema checks it. */
/** The accepted range in words, from the same schema reading the dashboard's config editor uses. */
const RANGE_OF = Object.fromEntries(CONFIG_FIELDS.map((f) => [f.key, f.range])) as Record<string, string>;

const CONFIG_KEYS = Object.keys(EditableConfigSchema.shape) as (keyof EditableConfig)[];

/** Each editable field with its meaning and range in /openapi.json (the checks are the domain schema's own). */
const DescribedConfig = EditableConfigSchema.extend(
  Object.fromEntries(
    CONFIG_KEYS.map((k) => {
      const field = EditableConfigSchema.shape[k] as z.ZodType;
      const help = CONFIG_FIELD_HELP[k] ?? k.replace(/_/g, " ");
      return [k, field.openapi({ description: `${help} Range: ${RANGE_OF[k]}.` })];
    }),
  ) as typeof EditableConfigSchema.shape,
);

/** The seeded defaults (the D1 column defaults) as the example of a full replace: valid by construction. */
export const CONFIG_EXAMPLE = Object.fromEntries(
  CONFIG_KEYS.map((k) => {
    const d = (getTableColumns(configTable) as Record<string, { default?: unknown }>)[k]?.default;
    // A column without a default is a nullable setting that starts unset (telegram_chat_id, notify_webhook_url).
    if (d === undefined) return [k, null];
    return [k, typeof d === "string" && d.startsWith("[") ? JSON.parse(d) : d];
  }),
) as EditableConfig;

/** The answer: the described fields plus the sync state only the sync job writes. */
const ConfigSchema = DescribedConfig.extend({
  helius_webhook_id: DomainConfigSchema.shape.helius_webhook_id,
  helius_last_sync_at: DomainConfigSchema.shape.helius_last_sync_at,
  helius_last_sync_status: DomainConfigSchema.shape.helius_last_sync_status,
  helius_last_sync_error: DomainConfigSchema.shape.helius_last_sync_error,
  updated_at: DomainConfigSchema.shape.updated_at,
}).openapi("ConfigDescribed");

const ConfigPutBody = DescribedConfig.strict().openapi("ConfigReplace", { example: CONFIG_EXAMPLE });
const ConfigPatchBody = DescribedConfig.partial()
  .strict()
  .openapi("ConfigPatch", { example: { max_open_positions: 5, slippage_bps: 300 } });

/**
 * Optimistic concurrency for a client that decided its change on a config it read earlier (the
 * dashboard's form): the `updated_at` it read. If the config changed since, the change is refused with
 * 409 instead of silently undoing the other change.
 */
const VersionHeaders = z.object({
  "if-match": z
    .string()
    .max(64)
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: "the config's updated_at this change was decided on; a newer config answers 409",
      example: "2026-01-01T00:00:00.000Z",
    }),
});

const ConfigHistoryItem = z
  .object({
    id: z.number().int(),
    changed_fields: z.array(z.string()),
    previous_values: z.record(z.string(), z.unknown()),
    new_values: z.record(z.string(), z.unknown()),
    changed_by: z.string(),
    created_at: z.string(),
  })
  .openapi("ConfigHistoryItem");

const getConfig = createRoute({
  method: "get",
  path: "/config",
  tags: ["config"],
  summary: "Current runtime trading parameters",
  security: bearerSecurity,
  responses: { 200: jsonContent(ConfigSchema, "The config singleton"), ...errorResponses() },
});

const putConfig = createRoute({
  method: "put",
  path: "/config",
  tags: ["config"],
  summary: "Replace every editable parameter (range-checked; all or nothing; history row per change)",
  security: bearerSecurity,
  request: { body: { content: { "application/json": { schema: ConfigPutBody } }, required: true } },
  responses: { 200: jsonContent(ConfigSchema, "The config after the change"), ...errorResponses(400, 409, 422) },
});

const patchConfig = createRoute({
  method: "patch",
  path: "/config",
  tags: ["config"],
  summary: "Change some editable parameters (range-checked; all or nothing; history row per change)",
  security: bearerSecurity,
  request: {
    headers: VersionHeaders,
    body: { content: { "application/json": { schema: ConfigPatchBody } }, required: true },
  },
  responses: { 200: jsonContent(ConfigSchema, "The config after the change"), ...errorResponses(400, 409, 422) },
});

const getHistory = createRoute({
  method: "get",
  path: "/config/history",
  tags: ["config"],
  summary: "Accepted config changes, newest first, with the full previous and new values",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: {
    200: jsonContent(pageOf(ConfigHistoryItem, "ConfigHistoryPage"), "A page of history rows"),
    ...errorResponses(400),
  },
});

const MAX_ATTEMPTS = 3;

/** Read → decide → conditional write, retried when a concurrent writer changed the row in between. */
async function changeConfig(
  env: Env,
  patch: Partial<EditableConfig>,
  opts: { ifMatch?: string; changedBy: string },
): Promise<Config> {
  const { ifMatch, changedBy } = opts;
  const db = getDb(env.DB);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await loadConfig(db);
    // Checked on every attempt: a retry after a lost race must not apply a change decided on an older config.
    if (ifMatch !== undefined && current.updated_at !== ifMatch)
      throw new ApiError(
        "Conflict",
        `if-match: the config changed since ${ifMatch} (now ${current.updated_at}); re-read it and decide again`,
      );
    const previous = editableOf(current);
    const decision = decideConfigChange(previous, patch);
    if (decision.kind === "refused") throw new ApiError("ValidationError", decision.problems.join("; "));
    if (decision.kind === "changed") {
      const refused = liveSwitchRefusal(
        previous.live_trading_enabled,
        decision.next.live_trading_enabled,
        await liveKeyState(env),
      );
      if (refused) throw new ApiError("RuleRefused", refused);
    }
    if (decision.kind === "unchanged") return current;
    const applied = await writeConfigChange(env.DB, {
      expectedVersion: current.updated_at,
      newVersion: nextVersion(current.updated_at, Date.now()),
      previous,
      next: decision.next,
      changed: decision.changed,
      changedBy,
    });
    if (applied) {
      log.info("config_changed", { changed_fields: decision.changed });
      return loadConfig(db);
    }
  }
  throw new ApiError("Conflict", "config was changed concurrently by another request; retry");
}

/** The history's changed_by: "dashboard" for the dashboard's forms (in-process), "api" for any HTTP client. */
const changedByOf = (c: Context<AppEnv>) => c.var.channel ?? "api";

export const configRouter = createRouter()
  .openapi(getConfig, async (c) => {
    return c.json(await loadConfig(getDb(c.env.DB)), 200);
  })
  .openapi(putConfig, async (c) => {
    return c.json(await changeConfig(c.env, c.req.valid("json"), { changedBy: changedByOf(c) }), 200);
  })
  .openapi(patchConfig, async (c) => {
    const ifMatch = c.req.valid("header")["if-match"];
    return c.json(await changeConfig(c.env, c.req.valid("json"), { ifMatch, changedBy: changedByOf(c) }), 200);
  })
  .openapi(getHistory, async (c) => {
    const { page, page_size } = c.req.valid("query");
    const db = getDb(c.env.DB);
    const [rows, total] = await Promise.all([
      db
        .select()
        .from(configHistory)
        .orderBy(desc(configHistory.id))
        .limit(page_size)
        .offset((page - 1) * page_size),
      db.select({ n: count() }).from(configHistory).get(),
    ]);
    const items = rows.map((r) => ({
      ...r,
      changed_fields: JSON.parse(r.changed_fields) as string[],
      previous_values: JSON.parse(r.previous_values) as Record<string, unknown>,
      new_values: JSON.parse(r.new_values) as Record<string, unknown>,
    }));
    return c.json({ items, total: total?.n ?? 0, page, page_size }, 200);
  });
