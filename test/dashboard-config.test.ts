import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EditableConfigSchema } from "../src/domain/config";
import { CONFIG_FIELDS, CONFIG_GROUPS } from "../src/domain/config-fields";
import { api } from "./helpers/api";
import { fieldError, formOf } from "./helpers/forms";
import { ui, uiSession } from "./helpers/ui";

/** Issue 13 (c): the config editor — every parameter grouped with range and help, errors next to the field, history. */
const cfgRow = () => env.DB.prepare("SELECT * FROM config WHERE id = 1").first<Record<string, unknown>>();
const historyCount = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM config_history").first<{ n: number }>())?.n ?? 0;

describe("editing pages", () => {
  it("config, strategies and a wallet page keep the strict CSP: no inline script, style or event handler", async () => {
    const w = await env.DB.prepare(
      "INSERT INTO wallets (address, label) VALUES ('CspWa11et1111111111111111111111111111111111', 'csp') RETURNING id",
    ).first<{ id: number }>();
    const { cookie } = await uiSession("/config");
    for (const path of ["/config", "/strategies", "/strategies/1", `/wallets/${w?.id}`]) {
      const res = await ui("GET", path, { cookie });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toContain("script-src 'self'");
      expect(res.text, path).not.toMatch(/<style|\sstyle="/);
      expect(res.text, path).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(res.text, path).not.toMatch(/\son[a-z]+="/);
      expect(res.text, path).toContain('href="/assets/settings.css"');
    }
  });
});

describe("config editor", () => {
  it("lists every editable parameter in its group with the range read from the API's schema and a help line", async () => {
    const { cookie } = await uiSession("/config");
    const page = await ui("GET", "/config", { cookie });
    expect(page.status).toBe(200);
    expect(CONFIG_FIELDS.map((f) => f.key).sort()).toEqual(Object.keys(EditableConfigSchema.shape).sort());
    for (const g of ["sizing", "risk", "safety", "exits", "polling", "swaps"])
      expect(page.text).toContain(`id="group-${g}"`);
    expect(CONFIG_GROUPS.length).toBeGreaterThanOrEqual(6);
    for (const f of CONFIG_FIELDS) {
      expect(page.text, f.key).toContain(`name="${f.key}"`);
      expect(f.help.length, f.key).toBeGreaterThan(10);
    }
    // The range is the schema's: max_open_positions is int(1, 1000), capital_usd positive ≤ 1e9.
    const range = (k: string) => CONFIG_FIELDS.find((f) => f.key === k)?.range;
    expect(range("max_open_positions")).toBe("integer ≥ 1 and ≤ 1000");
    expect(range("capital_usd")).toBe("> 0 and ≤ 1000000000");
    expect(range("position_sizing_mode")).toContain("fixed_usd");
    expect(page.text).toContain("integer ≥ 1 and ≤ 1000");
  });

  it("submitting the form as rendered changes nothing and writes no history row", async () => {
    const { cookie } = await uiSession("/config");
    const form = formOf((await ui("GET", "/config", { cookie })).text, "/config");
    const before = await historyCount();
    const res = await ui("POST", "/config", { cookie, form });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("flash=config_unchanged");
    expect(await historyCount()).toBe(before);
  });

  it("an out-of-range value is refused next to its field and saves nothing, not even the valid fields beside it", async () => {
    const { cookie } = await uiSession("/config");
    const form = formOf((await ui("GET", "/config", { cookie })).text, "/config");
    const before = await cfgRow();
    const history = await historyCount();
    const res = await ui("POST", "/config", {
      cookie,
      form: { ...form, max_open_positions: "5000", slippage_bps: "123" },
    });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, "max_open_positions")).toMatch(/1000/);
    expect(fieldError(res.text, "slippage_bps")).toBeNull();
    expect(res.text).toContain('value="5000"'); // what was typed stays in the field
    expect(await cfgRow()).toEqual(before);
    expect(await historyCount()).toBe(history);
  });

  it("a cross-field rule of the API (polling order) and a non-number are refused next to their fields", async () => {
    const { cookie } = await uiSession("/config");
    const form = formOf((await ui("GET", "/config", { cookie })).text, "/config");
    const bad = await ui("POST", "/config", { cookie, form: { ...form, capital_usd: "lots" } });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, "capital_usd")).toBeTruthy();
    const order = await ui("POST", "/config", {
      cookie,
      form: { ...form, poll_urgent_seconds: "3000", poll_active_seconds: "60", poll_stable_seconds: "120" },
    });
    expect(order.status).toBe(422);
    expect(fieldError(order.text, "poll_urgent_seconds")).toMatch(/urgent <= active <= stable/);
  });

  it("a valid change is saved through the API, audited, and shown in the history as before → after", async () => {
    const { cookie } = await uiSession("/config");
    const form = formOf((await ui("GET", "/config", { cookie })).text, "/config");
    const old = Number(form.max_open_positions);
    const next = old === 7 ? 8 : 7;
    const res = await ui("POST", "/config", { cookie, form: { ...form, max_open_positions: String(next) } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("flash=config_saved");
    const cfg = await api("GET", "/api/v1/config");
    expect((cfg.body as { max_open_positions: number }).max_open_positions).toBe(next);
    const last = await env.DB.prepare("SELECT changed_fields FROM config_history ORDER BY id DESC LIMIT 1").first<{
      changed_fields: string;
    }>();
    expect(JSON.parse(last?.changed_fields ?? "[]")).toEqual(["max_open_positions"]);
    const audit = await env.DB.prepare(
      "SELECT channel, outcome_status FROM audit_log WHERE action = 'config.update' ORDER BY id DESC LIMIT 1",
    ).first();
    expect(audit).toMatchObject({ channel: "dashboard", outcome_status: 200 });
    const page = (await ui("GET", "/config", { cookie })).text;
    const row = /<tr data-history="\d+">[\s\S]*?<\/tr>/.exec(page)?.[0] ?? "";
    expect(row).toContain("<code>max_open_positions</code>");
    expect(row).toContain(`<td class="diff-old">${old}</td>`);
    expect(row).toContain(`<td class="diff-new">${next}</td>`);
  });

  it("the history records who changed it: dashboard for the form, api for an API client (changed_by)", async () => {
    const lastBy = async () =>
      (
        await env.DB.prepare("SELECT changed_by FROM config_history ORDER BY id DESC LIMIT 1").first<{
          changed_by: string;
        }>()
      )?.changed_by;
    const { cookie } = await uiSession("/config");
    const form = formOf((await ui("GET", "/config", { cookie })).text, "/config");
    const next = Number(form.max_swap_retries) === 4 ? 5 : 4;
    const res = await ui("POST", "/config", { cookie, form: { ...form, max_swap_retries: String(next) } });
    expect(res.headers.get("location")).toContain("flash=config_saved");
    expect(await lastBy()).toBe("dashboard");
    const page = (await ui("GET", "/config", { cookie })).text;
    expect(/<tr data-history="\d+">[\s\S]*?<\/tr>/.exec(page)?.[0]).toContain("<td>dashboard</td>");
    expect((await api("PATCH", "/api/v1/config", { max_swap_retries: next === 4 ? 5 : 4 })).status).toBe(200);
    expect(await lastBy()).toBe("api");
    const history = (await api("GET", "/api/v1/config/history?page_size=2")).body.items;
    expect(history.map((h: { changed_by: string }) => h.changed_by)).toEqual(["api", "dashboard"]);
  });

  it("a form rendered before another change is refused instead of undoing that change", async () => {
    const { cookie } = await uiSession("/config");
    const form = formOf((await ui("GET", "/config", { cookie })).text, "/config");
    const other = Number(form.mint_cooldown_seconds) + 10;
    expect((await api("PATCH", "/api/v1/config", { mint_cooldown_seconds: other })).status).toBe(200);
    const res = await ui("POST", "/config", { cookie, form: { ...form, slippage_bps: "321" } });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, "form")).toMatch(/changed since this page was loaded/);
    const cfg = (await api("GET", "/api/v1/config")).body as { mint_cooldown_seconds: number; slippage_bps: number };
    expect(cfg.mint_cooldown_seconds).toBe(other);
    expect(cfg.slippage_bps).not.toBe(321);
  });

  it("PATCH /config with a stale If-Match is refused 409 and writes nothing; with the version in force it applies", async () => {
    const cfg = (await api("GET", "/api/v1/config")).body as { updated_at: string; max_swap_retries: number };
    const next = cfg.max_swap_retries === 4 ? 5 : 4;
    expect((await api("PATCH", "/api/v1/config", { jupiter_swap_burst: 3 })).status).toBe(200); // another change lands
    const before = await cfgRow();
    const history = await historyCount();
    const stale = await api("PATCH", "/api/v1/config", { max_swap_retries: next }, { "if-match": cfg.updated_at });
    expect(stale.status).toBe(409);
    expect((stale.body as { error: string; detail: string }).error).toBe("Conflict");
    expect((stale.body as { detail: string }).detail).toMatch(/^if-match: the config changed since/);
    expect(await cfgRow()).toEqual(before);
    expect(await historyCount()).toBe(history);
    const fresh = (await api("GET", "/api/v1/config")).body as { updated_at: string };
    const ok = await api("PATCH", "/api/v1/config", { max_swap_retries: next }, { "if-match": fresh.updated_at });
    expect(ok.status).toBe(200);
    expect((ok.body as { max_swap_retries: number }).max_swap_retries).toBe(next);
  });
});
