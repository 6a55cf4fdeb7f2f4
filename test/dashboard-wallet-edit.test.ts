import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers/api";
import { fieldError, formOf } from "./helpers/forms";
import { ui, uiSession } from "./helpers/ui";

/** Issue 13 (a): watchlist edit (label, strategy, mode with the live guardrail, pause), performance, sorting. */
const ALPHA = "A1phaWa11et1111111111111111111111111111111";
const BETA = "BetaWa11et11111111111111111111111111111111";
let alpha = 0;
let beta = 0;

const walletRow = (id: number) =>
  env.DB.prepare("SELECT label, mode, is_active, exit_strategy_id FROM wallets WHERE id = ?")
    .bind(id)
    .first<{ label: string | null; mode: string; is_active: number; exit_strategy_id: number }>();

beforeAll(async () => {
  const add = (address: string, label: string) =>
    env.DB.prepare("INSERT INTO wallets (address, label) VALUES (?, ?) RETURNING id")
      .bind(address, label)
      .first<{ id: number }>();
  alpha = (await add(ALPHA, "alpha"))?.id ?? 0;
  beta = (await add(BETA, "beta"))?.id ?? 0;
  const insert = env.DB.prepare(
    "INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status, entry_price_usd, entry_amount, entry_cost_usd, current_amount, total_pnl_usd, pnl_percent, opened_at, closed_at) VALUES (?, ?, ?, 'Mint', 6, 'simulation', 'closed', 1, '1000', 10, '0', ?, ?, ?, ?)",
  );
  const at = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
  // alpha: two wins then a loss (+20 - 5 = +15, win rate 66.7 %); beta: one loss (-8).
  await env.DB.batch([
    insert.bind("wa1", alpha, ALPHA, 12, 120, at(50), at(49)),
    insert.bind("wa2", alpha, ALPHA, 8, 80, at(30), at(29)),
    insert.bind("wa3", alpha, ALPHA, -5, -50, at(3), at(2)),
    insert.bind("wb1", beta, BETA, -8, -80, at(5), at(4)),
  ]);
});

describe("watchlist edit from the dashboard", () => {
  it("the wallet page recomputes and shows its performance per window (all/30d/7d/24h) and its PnL chart", async () => {
    const { cookie, csrf } = await uiSession(`/wallets/${alpha}`);
    const re = await ui("POST", `/wallets/${alpha}/performance`, { cookie, form: { _csrf: csrf } });
    expect(re.headers.get("location")).toContain("flash=performance_recomputed");
    const page = await ui("GET", `/wallets/${alpha}`, { cookie });
    expect(page.status).toBe(200);
    const table = /<table class="perf-windows" id="perf-simulation">[\s\S]*?<\/table>/.exec(page.text)?.[0] ?? "";
    for (const w of ["all", "30d", "7d", "24h"]) expect(table).toContain(`<th class="num">${w}</th>`);
    const line = (label: string) => new RegExp(`<td>${label}</td>((?:<td[^>]*>[^<]*</td>)+)`).exec(table)?.[1] ?? "";
    const cells = (label: string) => [...line(label).matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells("Closed trades")).toEqual(["3", "3", "3", "1"]); // all, 30d, 7d, 24h
    expect(cells("Win rate")).toEqual(["66.7 %", "66.7 %", "66.7 %", "0.0 %"]);
    expect(cells("Total PnL")[0]).toBe("$15.00");
    expect(cells("Longest win streak")[0]).toBe("2");
    expect(cells("Current streak")[0]).toBe("-1");
    const chart = /id="wallet-pnl-chart" data-chart="([^"]*)"/.exec(page.text)?.[1] ?? "";
    const spec = JSON.parse(chart.replace(/&quot;/g, '"'));
    expect(spec.x).toHaveLength(3);
    expect(spec.series[0].values).toEqual([12, 20, 15]); // cumulative simulation PnL at each close
  });

  it("the watchlist sorts by PnL, win rate and label both ways, wallets without a value last", async () => {
    const { cookie } = await uiSession("/wallets");
    const order = async (q: string) =>
      [...(await ui("GET", `/wallets?${q}`, { cookie })).text.matchAll(/<tr data-wallet="(\d+)">/g)].map((m) =>
        Number(m[1]),
      );
    expect(await order("sort=pnl&dir=desc")).toEqual([alpha, beta]);
    expect(await order("sort=pnl&dir=asc")).toEqual([beta, alpha]);
    expect(await order("sort=label&dir=asc")).toEqual([alpha, beta]);
    expect(await order("sort=label&dir=desc")).toEqual([beta, alpha]);
    const page = (await ui("GET", "/wallets?sort=win_rate&dir=desc", { cookie })).text;
    expect(page).toContain('href="/wallets?sort=win_rate&amp;dir=asc"'); // clicking again flips the order
    expect(await order("sort=nonsense&dir=sideways")).toHaveLength(2); // an unknown sort is ignored
  });

  it("edits the label, the exit strategy and pauses the wallet through the API", async () => {
    const strategy = await env.DB.prepare(
      "INSERT INTO exit_strategies (name, stop_loss_percent, scaling_levels, mirror_exit_enabled, take_profit_table) VALUES ('tight-edit', 5, '[]', 1, '[]') RETURNING id",
    ).first<{ id: number }>();
    const { cookie } = await uiSession(`/wallets/${alpha}`);
    const form = formOf((await ui("GET", `/wallets/${alpha}`, { cookie })).text, `/wallets/${alpha}`);
    expect(form).toMatchObject({ label: "alpha", mode: "simulation", is_active: "true" });
    const res = await ui("POST", `/wallets/${alpha}`, {
      cookie,
      form: { ...form, label: "alpha prime", exit_strategy_id: String(strategy?.id), is_active: "false" },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("flash=wallet_saved");
    expect(await walletRow(alpha)).toMatchObject({
      label: "alpha prime",
      is_active: 0,
      exit_strategy_id: strategy?.id,
    });
    const audit = await env.DB.prepare(
      "SELECT subject, outcome_status FROM audit_log WHERE action = 'wallet.update' ORDER BY id DESC LIMIT 1",
    ).first();
    expect(audit).toMatchObject({ subject: String(alpha), outcome_status: 200 });
  });

  it("a switch to live refused by the live guardrail shows the API's 422 reason next to the mode field and changes nothing", async () => {
    const { cookie } = await uiSession(`/wallets/${beta}`);
    const form = formOf((await ui("GET", `/wallets/${beta}`, { cookie })).text, `/wallets/${beta}`);
    const before = await walletRow(beta);
    const res = await ui("POST", `/wallets/${beta}`, { cookie, form: { ...form, mode: "live", label: "beta live" } });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, "mode")).toMatch(/live/);
    expect(fieldError(res.text, "mode")).not.toMatch(/^mode:/); // the reason, without the field prefix
    expect(res.text).toContain('value="beta live"'); // what was typed stays
    expect(await walletRow(beta)).toEqual(before);
  });

  it("a bad label and an unknown strategy are refused next to their fields; an unknown wallet gets the 404 page", async () => {
    const { cookie } = await uiSession(`/wallets/${beta}`);
    const form = formOf((await ui("GET", `/wallets/${beta}`, { cookie })).text, `/wallets/${beta}`);
    const before = await walletRow(beta);
    const long = await ui("POST", `/wallets/${beta}`, { cookie, form: { ...form, label: "x".repeat(101) } });
    expect(long.status).toBe(422);
    expect(fieldError(long.text, "label")).toMatch(/100/);
    const unknown = await ui("POST", `/wallets/${beta}`, { cookie, form: { ...form, exit_strategy_id: "99999" } });
    expect(unknown.status).toBe(422);
    expect(fieldError(unknown.text, "exit_strategy_id")).toMatch(/99999/);
    expect(await walletRow(beta)).toEqual(before);
    const missing = await ui("GET", "/wallets/424242", { cookie });
    expect(missing.status).toBe(404);
  });
});

describe("wallet edit version check (issue 13): a form rendered before another change never undoes it", () => {
  it("a save after another change is refused 409 next to the form, with the values in force, and nothing written", async () => {
    const { cookie } = await uiSession(`/wallets/${beta}`);
    const form = formOf((await ui("GET", `/wallets/${beta}`, { cookie })).text, `/wallets/${beta}`);
    expect(form._version).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // Another tab (or the API, or the watchlist's pause button) changes the label after the page was rendered.
    expect((await api("PATCH", `/api/v1/wallets/${beta}`, { label: "beta elsewhere" })).status).toBe(200);
    const before = await walletRow(beta);
    const res = await ui("POST", `/wallets/${beta}`, { cookie, form: { ...form, is_active: "false" } });
    expect(res.status).toBe(409);
    expect(fieldError(res.text, "form")).toMatch(/changed since this page was loaded/);
    expect(res.text).toContain('value="beta elsewhere"'); // the values in force, not the stale ones
    expect(await walletRow(beta)).toEqual(before); // the stale label did not come back, the pause was not applied
    // Reloaded, the form carries the new version and the same change is saved.
    const fresh = formOf(res.text, `/wallets/${beta}`);
    const ok = await ui("POST", `/wallets/${beta}`, { cookie, form: { ...fresh, is_active: "false" } });
    expect(ok.headers.get("location")).toContain("flash=wallet_saved");
    expect(await walletRow(beta)).toMatchObject({ label: "beta elsewhere", is_active: 0 });
    await api("PATCH", `/api/v1/wallets/${beta}`, { label: "beta", is_active: true });
  });

  it("a form without its version is refused (the check is required for the form)", async () => {
    const { cookie } = await uiSession(`/wallets/${beta}`);
    const { _version, ...form } = formOf((await ui("GET", `/wallets/${beta}`, { cookie })).text, `/wallets/${beta}`);
    expect(_version).toBeTruthy();
    const before = await walletRow(beta);
    const res = await ui("POST", `/wallets/${beta}`, { cookie, form: { ...form, label: "no version" } });
    expect(res.status).toBe(409);
    expect(fieldError(res.text, "form")).toMatch(/nothing was saved/);
    expect(await walletRow(beta)).toEqual(before);
  });
});
