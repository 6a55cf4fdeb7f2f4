import { createRoute, z } from "@hono/zod-openapi";
import { count, desc } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { writeConfigChange } from "../db/config-write";
import { configHistory } from "../db/schema";
import { type Config, ConfigSchema, type EditableConfig, EditableConfigSchema } from "../domain/config";
import { decideConfigChange, editableOf, nextVersion } from "../domain/config-change";
import { liveSwitchRefusal } from "../domain/live-guard";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { liveKeyState } from "./live-readiness";
import { createRouter } from "./router";

// `.strict()`: an unknown field (a typo, or the sync state `helius_*`, which only the sync job writes)
// is refused with 400 instead of being silently ignored.
const ConfigPutBody = EditableConfigSchema.strict().openapi("ConfigReplace");
const ConfigPatchBody = EditableConfigSchema.partial().strict().openapi("ConfigPatch");

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
  request: { body: { content: { "application/json": { schema: ConfigPatchBody } }, required: true } },
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
async function changeConfig(env: Env, patch: Partial<EditableConfig>): Promise<Config> {
  const db = getDb(env.DB);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await loadConfig(db);
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
      changedBy: "api",
    });
    if (applied) {
      log.info("config_changed", { changed_fields: decision.changed });
      return loadConfig(db);
    }
  }
  throw new ApiError("Conflict", "config was changed concurrently by another request; retry");
}

export const configRouter = createRouter()
  .openapi(getConfig, async (c) => {
    return c.json(await loadConfig(getDb(c.env.DB)), 200);
  })
  .openapi(putConfig, async (c) => {
    return c.json(await changeConfig(c.env, c.req.valid("json")), 200);
  })
  .openapi(patchConfig, async (c) => {
    return c.json(await changeConfig(c.env, c.req.valid("json")), 200);
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
