import { Hono } from "hono";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import type { Config } from "../domain/config";
import { CONFIG_FIELDS, configValueOf } from "../domain/config-fields";
import { log } from "../lib/logger";
import { apiErrors, callApi } from "./api-call";
import { configHistoryData } from "./config-data";
import { ConfigPage, configText } from "./pages/config";
import { auditUi, back, type Ctx, page, requireSession, str, type UiEnv } from "./router";

const currentValues = (cfg: Config) => Object.fromEntries(CONFIG_FIELDS.map((f) => [f.key, configText(cfg[f.key])]));

async function configPage(
  c: Ctx,
  opts: { values?: Record<string, string>; errors?: Record<string, string>; status?: 200 | 422 } = {},
) {
  const db = getDb(c.env.DB);
  const [cfg, history] = await Promise.all([loadConfig(db), configHistoryData(db)]);
  return page(
    c,
    "Config",
    "/config",
    <ConfigPage
      values={opts.values ?? currentValues(cfg)}
      version={cfg.updated_at}
      csrf={c.var.csrf}
      errors={opts.errors}
      history={history}
    />,
    opts.status ?? 200,
  );
}

/**
 * The config editor (issue 13): the form posts every field; only those that differ from the values in
 * force are sent to PATCH /api/v1/config (the API's own range and cross-field checks, its history row).
 * The page carries the config version it was rendered from: if the config changed since (another tab,
 * the API), the form's stale values would undo that change, so it is refused and the fresh values shown.
 * The version also goes to the API as If-Match, which closes the gap between this check and the write.
 */
export const configUiRouter = new Hono<UiEnv>()
  .get("/config", requireSession, (c) => configPage(c))
  .post("/config", requireSession, async (c) => {
    const body = await c.req.parseBody();
    const current = await loadConfig(getDb(c.env.DB));
    const typed: Record<string, string> = {};
    const patch: Record<string, unknown> = {};
    for (const f of CONFIG_FIELDS) {
      const raw = body[f.key];
      if (typeof raw !== "string") continue; // not in the form: unchanged
      typed[f.key] = raw;
      const value = configValueOf(f, raw);
      if (JSON.stringify(value) !== JSON.stringify(current[f.key])) patch[f.key] = value;
    }
    if (!Object.keys(patch).length) return back(c, "/config", "config_unchanged");
    const version = str(body._version);
    const stale = () =>
      configPage(c, {
        errors: {
          form: "The config changed since this page was loaded (another tab or the API); nothing was saved. The values in force are shown: make your change again.",
        },
        status: 422,
      });
    if (version !== current.updated_at) return stale();
    // If-Match: the API itself refuses the change if another one lands between this read and its write.
    const r = await callApi(c.env, "PATCH", "/config", patch, { "if-match": version });
    if (r.status === 409 && r.detail.startsWith("if-match:")) return stale();
    const before = Object.fromEntries(Object.keys(patch).map((k) => [k, current[k as keyof Config]]));
    if (r.ok) {
      await auditUi(c, "config.update", "config", 200, before, patch);
      log.info("dashboard_config_changed", { fields: Object.keys(patch) });
      return back(c, "/config", "config_saved");
    }
    await auditUi(c, "config.update", "config", r.status, before, { error: r.detail });
    return configPage(c, {
      values: { ...currentValues(current), ...typed },
      errors: apiErrors(r, "the change was refused"),
      status: 422,
    });
  });
