import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiErrors } from "../src/ui/api-call";
import { rulesFromForm } from "../src/ui/strategy-form";
import { mint } from "./helpers/execution";
import { fieldError, formOf } from "./helpers/forms";
import { openPosition } from "./helpers/positions";
import { ui, uiSession } from "./helpers/ui";

/** Issue 13 (b): the exit-strategy catalog from the dashboard, and a position's strategy override. */
const strategyByName = (name: string) =>
  env.DB.prepare("SELECT * FROM exit_strategies WHERE name = ?").bind(name).first<Record<string, unknown>>();
const strategyCount = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM exit_strategies").first<{ n: number }>())?.n ?? 0;

describe("exit-strategy catalog from the dashboard", () => {
  it("lists every strategy with its rules; a new one is created through the API with its rules parsed from the form", async () => {
    const { cookie } = await uiSession("/strategies");
    const list = await ui("GET", "/strategies", { cookie });
    expect(list.status).toBe(200);
    expect(list.text).toContain("(default)");
    const form = formOf(list.text, "/strategies");
    const res = await ui("POST", "/strategies", {
      cookie,
      form: {
        ...form,
        name: "dash-scalper",
        description: "quick exits",
        stop_loss_percent: "12",
        trailing_stop_percent: "8",
        trailing_activation_percent: "30",
        scaling_levels: "2:40, 4:30",
        take_profit_table: "60:20, 0:100",
        max_hold_minutes: "240",
        mirror_exit_enabled: "false",
      },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("flash=strategy_created");
    const row = await strategyByName("dash-scalper");
    expect(row).toMatchObject({
      description: "quick exits",
      is_default: 0,
      stop_loss_percent: 12,
      trailing_stop_percent: 8,
      trailing_activation_percent: 30,
      max_hold_minutes: 240,
      mirror_exit_enabled: 0,
    });
    expect(JSON.parse(String(row?.scaling_levels))).toEqual([
      { multiple: 2, sell_percent: 40 },
      { multiple: 4, sell_percent: 30 },
    ]);
    expect(JSON.parse(String(row?.take_profit_table))).toEqual([
      { after_minutes: 0, min_profit_percent: 100 },
      { after_minutes: 60, min_profit_percent: 20 },
    ]);
    const page = (await ui("GET", "/strategies", { cookie })).text;
    expect(page).toContain("2× 40 %, 4× 30 %");
  });

  it("a refused strategy shows each API error next to its field and creates nothing", async () => {
    const { cookie } = await uiSession("/strategies");
    const form = formOf((await ui("GET", "/strategies", { cookie })).text, "/strategies");
    const before = await strategyCount();
    const bad = await ui("POST", "/strategies", {
      cookie,
      form: { ...form, name: "dash-bad", stop_loss_percent: "150", scaling_levels: "3:60, 2:60" },
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, "stop_loss_percent")).toMatch(/100/);
    expect(bad.text).toContain('value="3:60, 2:60"'); // what was typed stays
    const rows = await ui("POST", "/strategies", {
      cookie,
      form: { ...form, name: "dash-bad", scaling_levels: "3:60, 2:60" },
    });
    expect(rows.status).toBe(422);
    expect(fieldError(rows.text, "scaling_levels")).toMatch(/more than 100|strictly increasing/);
    const noName = await ui("POST", "/strategies", { cookie, form: { ...form, name: "" } });
    expect(fieldError(noName.text, "name")).toBeTruthy();
    const junk = await ui("POST", "/strategies", {
      cookie,
      form: { ...form, name: "dash-junk", scaling_levels: "two:fifty" },
    });
    expect(fieldError(junk.text, "scaling_levels")).toMatch(/scaling_levels\.0\.multiple/);
    expect(await strategyCount()).toBe(before);
  });

  it("edits a strategy (PUT: every rule as the form shows it) and refuses a duplicate name next to the field", async () => {
    const { cookie } = await uiSession("/strategies");
    const form = formOf((await ui("GET", "/strategies", { cookie })).text, "/strategies");
    await ui("POST", "/strategies", { cookie, form: { ...form, name: "dash-edit", stop_loss_percent: "10" } });
    const id = Number((await strategyByName("dash-edit"))?.id);
    const edit = formOf((await ui("GET", `/strategies/${id}`, { cookie })).text, `/strategies/${id}`);
    expect(edit).toMatchObject({ name: "dash-edit", stop_loss_percent: "10", trailing_stop_percent: "" });
    // The form as rendered saves the same rules (a round trip changes nothing).
    expect((await ui("POST", `/strategies/${id}`, { cookie, form: edit })).status).toBe(303);
    expect(await strategyByName("dash-edit")).toMatchObject({ stop_loss_percent: 10, trailing_stop_percent: null });
    const ok = await ui("POST", `/strategies/${id}`, {
      cookie,
      form: { ...edit, stop_loss_percent: "", max_hold_minutes: "90" },
    });
    expect(ok.headers.get("location")).toContain("flash=strategy_saved");
    expect(await strategyByName("dash-edit")).toMatchObject({ stop_loss_percent: null, max_hold_minutes: 90 });
    const dup = await ui("POST", `/strategies/${id}`, { cookie, form: { ...edit, name: "dash-scalper" } });
    expect(dup.status).toBe(422);
    expect(fieldError(dup.text, "name")).toMatch(/already exists/);
    expect(await strategyByName("dash-edit")).toMatchObject({ max_hold_minutes: 90 });
  });

  it("deletes an unused strategy; the default or one in use is refused with the API's reason next to its Delete", async () => {
    const { cookie, csrf } = await uiSession("/strategies");
    const form = formOf((await ui("GET", "/strategies", { cookie })).text, "/strategies");
    await ui("POST", "/strategies", { cookie, form: { ...form, name: "dash-doomed" } });
    const doomed = Number((await strategyByName("dash-doomed"))?.id);
    const del = await ui("POST", `/strategies/${doomed}/delete`, { cookie, form: { _csrf: csrf } });
    expect(del.headers.get("location")).toContain("flash=strategy_deleted");
    expect(await strategyByName("dash-doomed")).toBeNull();
    const def = await env.DB.prepare("SELECT id FROM exit_strategies WHERE is_default = 1").first<{ id: number }>();
    const refused = await ui("POST", `/strategies/${def?.id}/delete`, { cookie, form: { _csrf: csrf } });
    expect(refused.status).toBe(422);
    expect(fieldError(refused.text, `delete-${def?.id}`)).toMatch(/default/);
    expect(await env.DB.prepare("SELECT id FROM exit_strategies WHERE id = ?").bind(def?.id).first()).not.toBeNull();
  });
});

describe("a position's strategy override from the dashboard", () => {
  it("saves an override through the PositionActor (empty fields inherit, off disables) and shows it again", async () => {
    const { id } = await openPosition(mint("override-ok"));
    const { cookie } = await uiSession(`/positions/${id}/strategy`);
    const detail = await ui("GET", `/positions/${id}`, { cookie });
    expect(detail.text).toContain(`href="/positions/${id}/strategy"`);
    const page = await ui("GET", `/positions/${id}/strategy`, { cookie });
    expect(page.status).toBe(200);
    const form = formOf(page.text, `/positions/${id}/strategy`);
    const res = await ui("POST", `/positions/${id}/strategy`, {
      cookie,
      form: {
        ...form,
        stop_loss_percent: "7",
        trailing_stop_percent: "off",
        trailing_activation_percent: "off",
        max_hold_minutes: "30",
      },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("flash=override_saved");
    const row = await env.DB.prepare("SELECT strategy_override FROM positions WHERE id = ?")
      .bind(id)
      .first<{ strategy_override: string }>();
    // Only what was typed: stop 7, trailing (and its activation) off, a 30 min time exit; the rest from the template.
    expect(JSON.parse(row?.strategy_override ?? "null")).toEqual({
      stop_loss_percent: 7,
      trailing_stop_percent: null,
      trailing_activation_percent: null,
      max_hold_minutes: 30,
    });
    const again = formOf((await ui("GET", `/positions/${id}/strategy`, { cookie })).text, `/positions/${id}/strategy`);
    expect(again).toMatchObject({ stop_loss_percent: "7", trailing_stop_percent: "off", max_hold_minutes: "30" });
  });

  it("a refused override shows the API's error next to the field and keeps the old override", async () => {
    const { id } = await openPosition(mint("override-bad"));
    const { cookie } = await uiSession(`/positions/${id}/strategy`);
    const form = formOf((await ui("GET", `/positions/${id}/strategy`, { cookie })).text, `/positions/${id}/strategy`);
    const range = await ui("POST", `/positions/${id}/strategy`, { cookie, form: { ...form, stop_loss_percent: "0" } });
    expect(range.status).toBe(422);
    expect(fieldError(range.text, "stop_loss_percent")).toBeTruthy();
    expect(range.text).toContain('value="0"');
    // A merge that breaks a whole-set rule: activation without a trailing stop.
    const merged = await ui("POST", `/positions/${id}/strategy`, {
      cookie,
      form: { ...form, trailing_stop_percent: "off", trailing_activation_percent: "20" },
    });
    expect(merged.status).toBe(422);
    expect(fieldError(merged.text, "trailing_activation_percent")).toMatch(/trailing_stop_percent/);
    const row = await env.DB.prepare("SELECT strategy_override FROM positions WHERE id = ?")
      .bind(id)
      .first<{ strategy_override: string | null }>();
    expect(row?.strategy_override ?? null).toBeNull();
  });

  it("the form's text maps to the API body: empty inherits in an override and is off in the catalog", () => {
    const typed = {
      stop_loss_percent: "",
      trailing_stop_percent: "off",
      scaling_levels: "none",
      take_profit_table: "",
    };
    expect(rulesFromForm(typed, "inherit")).toEqual({ trailing_stop_percent: null, scaling_levels: [] });
    expect(rulesFromForm(typed, "off")).toMatchObject({
      stop_loss_percent: null,
      trailing_stop_percent: null,
      scaling_levels: [],
      take_profit_table: [],
      mirror_exit_enabled: true,
    });
  });

  it("API errors go next to their field: list rows keep their index; a rule refusal's whole sentence stays together", () => {
    expect(
      apiErrors(
        {
          status: 400,
          detail: "scaling_levels.0.multiple: Too small; scaling_levels.1.multiple: Too small; name: Required",
        },
        "x",
      ),
    ).toEqual({
      scaling_levels: "scaling_levels.0.multiple: Too small; scaling_levels.1.multiple: Too small",
      name: "Required",
    });
    expect(
      apiErrors({ status: 422, detail: "mode: live needs 10 trade(s); evaluation: none; simulation copies: 0" }, "x"),
    ).toEqual({
      mode: "live needs 10 trade(s); evaluation: none; simulation copies: 0",
    });
    expect(apiErrors({ status: 409, detail: "exit strategy 1 is the default" }, "x")).toEqual({
      form: "exit strategy 1 is the default",
    });
  });
});
