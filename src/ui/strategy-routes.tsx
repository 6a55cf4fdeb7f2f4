import { asc, count, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import { type Db, getDb } from "../db/client";
import { exitStrategies, positions, wallets } from "../db/schema";
import { rulesFromRow } from "../domain/exit-strategy";
import { log } from "../lib/logger";
import { apiErrors, callApi } from "./api-call";
import { positionDetailData } from "./data";
import { NotFoundPage } from "./pages/not-found";
import { LevelsText } from "./pages/open-positions";
import { StrategiesPage, StrategyForm, type StrategyView } from "./pages/strategies";
import { StrategyOverrideForm } from "./pages/strategy-override";
import { auditUi, back, type Ctx, page, requireSession, str, type UiEnv } from "./router";
import { catalogToForm, RULE_FIELDS, rulesFromForm } from "./strategy-form";

async function strategiesData(db: Db): Promise<StrategyView[]> {
  const [rows, walletUses, openUses] = await Promise.all([
    db.select().from(exitStrategies).orderBy(asc(exitStrategies.id)).all(),
    db.select({ id: wallets.exit_strategy_id, n: count() }).from(wallets).groupBy(wallets.exit_strategy_id).all(),
    db
      .select({ id: positions.exit_strategy_id, n: count() })
      .from(positions)
      .where(inArray(positions.status, ["open", "closing"]))
      .groupBy(positions.exit_strategy_id)
      .all(),
  ]);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    is_default: r.is_default,
    rules: rulesFromRow(r),
    wallets: walletUses.find((u) => u.id === r.id)?.n ?? 0,
    open_positions: openUses.find((u) => u.id === r.id)?.n ?? 0,
  }));
}

async function listPage(
  c: Ctx,
  opts: {
    errors?: Record<string, string>;
    values?: Record<string, string>;
    deleteError?: { id: number; msg: string };
    status?: 200 | 422;
  } = {},
) {
  const rows = await strategiesData(getDb(c.env.DB));
  return page(
    c,
    "Exit strategies",
    "/strategies",
    <StrategiesPage
      rows={rows}
      csrf={c.var.csrf}
      errors={opts.errors}
      values={opts.values}
      deleteError={opts.deleteError}
    />,
    opts.status ?? 200,
  );
}

async function editPage(
  c: Ctx,
  id: number,
  opts: { errors?: Record<string, string>; values?: Record<string, string>; status?: 200 | 422 } = {},
) {
  const row = await getDb(c.env.DB).select().from(exitStrategies).where(eq(exitStrategies.id, id)).get();
  if (!row) return page(c, "Exit strategy not found", "/strategies", <NotFoundPage what="This exit strategy" />, 404);
  const values = opts.values ?? {
    name: row.name,
    description: row.description ?? "",
    is_default: String(row.is_default),
    ...catalogToForm(rulesFromRow(row)),
  };
  return page(
    c,
    `Exit strategy ${row.name}`,
    "/strategies",
    <StrategyForm
      action={`/strategies/${id}`}
      csrf={c.var.csrf}
      values={values}
      errors={opts.errors ?? {}}
      submit="Save strategy"
    />,
    opts.status ?? 200,
  );
}

/** What was typed (to show again on a refusal) and the API body it means. */
async function strategyForm(c: Ctx) {
  const body = await c.req.parseBody();
  const values: Record<string, string> = {};
  for (const k of ["name", "description", "is_default", ...RULE_FIELDS]) values[k] = str(body[k]);
  const json = {
    name: values.name,
    description: values.description ? values.description : null,
    is_default: values.is_default === "true",
    ...rulesFromForm(values, "off"),
  };
  return { values, json };
}

const ID = /^\d{1,12}$/;

async function overridePage(
  c: Ctx,
  id: string,
  opts: { errors?: Record<string, string>; values?: Record<string, string>; status?: 200 | 422 } = {},
) {
  const d = await positionDetailData(getDb(c.env.DB), id);
  if (!d) return page(c, "Position not found", "/positions", <NotFoundPage what="This position" />, 404);
  const back_ = `/positions/${encodeURIComponent(id)}`;
  return page(
    c,
    `Strategy override · ${d.position.symbol ?? d.position.id}`,
    "/positions",
    <>
      <p>
        <a href={back_}>Back to the position</a> · {d.position.mode} / {d.position.status} · levels in force:{" "}
        <LevelsText levels={d.levels} />
      </p>
      {d.position.status === "closed" ? (
        <p class="muted">This position is closed: its exits can no longer change.</p>
      ) : (
        <StrategyOverrideForm d={d} csrf={c.var.csrf} errors={opts.errors} values={opts.values} />
      )}
    </>,
    opts.status ?? 200,
  );
}

/**
 * The exit-strategy catalog (issue 13): list, create (POST), edit (PUT: the form shows every rule, so a
 * replacement is what it means) and delete, each through /api/v1/exit-strategies and its rules.
 */
export const strategyUiRouter = new Hono<UiEnv>()
  .get("/strategies", requireSession, (c) => listPage(c))
  .post("/strategies", requireSession, async (c) => {
    const { values, json } = await strategyForm(c);
    const r = await callApi(c.env, "POST", "/exit-strategies", json);
    const created = r.body as { id?: number } | null;
    await auditUi(
      c,
      "exit_strategy.create",
      created?.id ? String(created.id) : null,
      r.status,
      null,
      r.ok ? json : { error: r.detail },
    );
    if (r.ok) {
      log.info("dashboard_strategy_created", { exit_strategy_id: created?.id });
      return back(c, "/strategies", "strategy_created");
    }
    return listPage(c, { errors: apiErrors(r, "the strategy was refused"), values, status: 422 });
  })
  .get("/strategies/:id{[0-9]+}", requireSession, async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id)) return back(c, "/strategies", "strategy_not_found");
    return editPage(c, Number(id));
  })
  .post("/strategies/:id{[0-9]+}", requireSession, async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id)) return back(c, "/strategies", "strategy_not_found");
    const { values, json } = await strategyForm(c);
    const before = await getDb(c.env.DB)
      .select()
      .from(exitStrategies)
      .where(eq(exitStrategies.id, Number(id)))
      .get();
    const r = await callApi(c.env, "PUT", `/exit-strategies/${id}`, json);
    await auditUi(c, "exit_strategy.update", id, r.status, before ?? null, r.ok ? json : { error: r.detail });
    if (r.ok) return back(c, "/strategies", "strategy_saved");
    if (r.status === 404) return back(c, "/strategies", "strategy_not_found");
    return editPage(c, Number(id), { errors: apiErrors(r, "the strategy was refused"), values, status: 422 });
  })
  .get("/positions/:id/strategy", requireSession, (c) => overridePage(c, c.req.param("id")))
  .post("/positions/:id/strategy", requireSession, async (c) => {
    const id = c.req.param("id");
    const body = await c.req.parseBody();
    const values: Record<string, string> = {};
    for (const k of RULE_FIELDS) values[k] = str(body[k]);
    const json = rulesFromForm(values, "inherit");
    const before = await getDb(c.env.DB)
      .select({ strategy_override: positions.strategy_override })
      .from(positions)
      .where(eq(positions.id, id))
      .get();
    const r = await callApi(c.env, "PATCH", `/positions/${encodeURIComponent(id)}/strategy`, json);
    await auditUi(c, "position.strategy_override", id, r.status, before ?? null, r.ok ? json : { error: r.detail });
    if (r.ok) return back(c, `/positions/${encodeURIComponent(id)}`, "override_saved");
    if (r.status === 404) return back(c, "/positions", "position_not_found");
    return overridePage(c, id, { errors: apiErrors(r, "the override was refused"), values, status: 422 });
  })
  .post("/strategies/:id{[0-9]+}/delete", requireSession, async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id)) return back(c, "/strategies", "strategy_not_found");
    const before = await getDb(c.env.DB)
      .select()
      .from(exitStrategies)
      .where(eq(exitStrategies.id, Number(id)))
      .get();
    const r = await callApi(c.env, "DELETE", `/exit-strategies/${id}`);
    await auditUi(c, "exit_strategy.delete", id, r.status, before ?? null, r.ok ? null : { error: r.detail });
    if (r.ok) return back(c, "/strategies", "strategy_deleted");
    if (r.status === 404) return back(c, "/strategies", "strategy_not_found");
    // "In use" or "the default": the API's reason, next to that strategy's Delete button.
    return listPage(c, { deleteError: { id: Number(id), msg: r.detail || "refused" }, status: 422 });
  });
