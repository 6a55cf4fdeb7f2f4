import { env, exports } from "cloudflare:workers";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { exitLevels } from "../src/domain/exit-levels";
import type { StrategyRules } from "../src/domain/exit-strategy";
import { OPERATOR_TOKEN } from "./helpers/api";
import { LEADER, mint, resetBreaker, tripBreaker } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";
import { quiesceActors } from "./helpers/quiesce";

/** Issue 13: the dashboard's assets, CSP, pages, live refresh, confirmation steps and 404. */
const BASE = "https://walltrack.test";
const PAGES = ["/", "/positions", "/signals", "/wallets", "/tokens", "/positions/sell-all"];

async function ui(
  method: string,
  path: string,
  opts: { cookie?: string; form?: Record<string, string>; accept?: string } = {},
) {
  const res = await exports.default.fetch(`${BASE}${path}`, {
    method,
    redirect: "manual",
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.accept ? { accept: opts.accept } : {}),
      ...(opts.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function login(): Promise<string> {
  const res = await ui("POST", "/login", { form: { token: OPERATOR_TOKEN } });
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

/** The fields of the first form posting to `action` in the page. */
function formFields(html: string, action: string): Record<string, string> {
  const form = (html.match(/<form[^>]*>[\s\S]*?<\/form>/g) ?? []).find((f) => f.includes(`action="${action}"`));
  if (!form) throw new Error(`no form posting to ${action}`);
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
    fields[m[1] as string] = m[2] as string;
  return fields;
}

const chartOf = (html: string, id: string) => {
  const m = new RegExp(`id="${id}" data-chart="([^"]*)"`).exec(html);
  if (!m?.[1]) throw new Error(`no chart ${id}`);
  return JSON.parse(
    m[1]
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">"),
  );
};

/** Assets reach the page through Workers static assets; the binding serves exactly those files. */
const asset = (path: string) => env.ASSETS.fetch(`${BASE}${path}`);

afterEach(resetBreaker);
// The positions opened here keep polling prices on their alarms: stopped before the file ends, so no alarm
// logs into vitest's closed RPC after teardown.
afterAll(quiesceActors);

describe("browser assets and CSP", () => {
  it("the Worker serves htmx, uPlot, Swagger UI and its own script and stylesheet from its static assets", async () => {
    for (const [path, marker] of [
      ["/vendor/htmx.min.js", "htmx"],
      ["/vendor/uPlot.iife.min.js", "uPlot"],
      ["/vendor/uPlot.min.css", ".uplot"],
      ["/vendor/swagger-ui/swagger-ui-bundle.js", "SwaggerUIBundle"],
      ["/vendor/swagger-ui/swagger-ui.css", ".swagger-ui"],
      ["/assets/dashboard.js", "htmx:afterSettle"],
      ["/assets/dashboard.css", "prefers-color-scheme"],
      ["/assets/docs.js", "SwaggerUIBundle"],
    ] as const) {
      const res = await asset(path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain(marker);
    }
  });

  it("every dashboard page has a strict CSP, no inline script or style, and only local assets that exist", async () => {
    const cookie = await login();
    for (const path of PAGES) {
      const res = await ui("GET", path, { cookie });
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.text).not.toMatch(/<style/);
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/); // every script is a file
      expect(res.text).not.toMatch(/\son[a-z]+="/); // no inline event handler
      const refs = [...res.text.matchAll(/<(?:script|link)[^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
      expect(refs).toEqual(expect.arrayContaining(["/vendor/htmx.min.js", "/vendor/uPlot.iife.min.js"]));
      for (const ref of refs) {
        expect(ref.startsWith("/"), `${path} loads ${ref}`).toBe(true);
        expect((await asset(ref)).status, ref).toBe(200);
      }
    }
  });

  it("/docs renders Swagger UI from the Worker's own files, no CDN", async () => {
    const res = await ui("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.text).not.toMatch(/https?:\/\//);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    const refs = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs).toEqual(
      expect.arrayContaining([
        "/vendor/swagger-ui/swagger-ui-bundle.js",
        "/vendor/swagger-ui/swagger-ui.css",
        "/assets/docs.js",
      ]),
    );
    for (const ref of refs) expect((await asset(ref)).status, ref).toBe(200);
  });
});

describe("dashboard pages", () => {
  it("an unknown dashboard URL gets an HTML 404 page; an unknown API URL keeps the JSON envelope", async () => {
    const page = await ui("GET", "/no-such-page", { accept: "text/html,application/xhtml+xml" });
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain("404 — page not found");
    expect(page.text).toContain("/no-such-page");

    const apiRes = await exports.default.fetch(`${BASE}/api/v1/no-such-thing`, {
      headers: { accept: "text/html", authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(apiRes.status).toBe(404);
    expect(await apiRes.json()).toMatchObject({ error: "NotFound" });
    const fetchRes = await exports.default.fetch(`${BASE}/no-such-page`);
    expect(fetchRes.status).toBe(404);
    expect(await fetchRes.json()).toMatchObject({ error: "NotFound" });
  });

  it("an unknown position gets the dashboard's 404 page", async () => {
    const cookie = await login();
    const res = await ui("GET", "/positions/pos_nope", { cookie });
    expect(res.status).toBe(404);
    expect(res.text).toContain("This position does not exist");
  });

  it("the breaker banner with its reason and Resume shows on every page", async () => {
    await tripBreaker();
    const cookie = await login();
    for (const path of PAGES) {
      const res = await ui("GET", path, { cookie });
      expect(res.text, path).toContain("Circuit breaker: OPEN — new entries are stopped");
      expect(res.text, path).toContain("test trip");
      expect(res.text, path).toContain('action="/circuit-breaker/resume"');
    }
  });

  it("positions show token symbol and name, Solscan and DexScreener links, the leader label and the exit levels", async () => {
    const m = mint("LVL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    await env.DB.prepare(
      "INSERT INTO tokens (mint_address, symbol, name) VALUES (?, 'LVLX', 'Level Token') ON CONFLICT DO UPDATE SET symbol = 'LVLX', name = 'Level Token'",
    )
      .bind(m)
      .run();
    await env.DB.prepare(
      "INSERT INTO wallets (address, label, mode) VALUES (?, 'alpha-leader', 'simulation') ON CONFLICT DO NOTHING",
    )
      .bind(LEADER)
      .run();
    await openPosition(m, { entry_price_usd: 1 });
    const cookie = await login();
    const html = (await ui("GET", "/positions", { cookie })).text;
    expect(html).toContain("<b>LVLX</b>");
    expect(html).toContain("Level Token");
    expect(html).toContain(`href="https://solscan.io/token/${m}"`);
    expect(html).toContain(`href="https://dexscreener.com/solana/${m}"`);
    expect(html).toContain("alpha-leader");
    // Default strategy: 20 % stop, trailing 15 % after +50 %, scale out 50 % at 2×.
    expect(html).toContain("stop $0.80");
    expect(html).toContain("trailing not armed (arms at $1.50)");
    expect(html).toContain("next scale-out 2× at $2.00 (50 %)");
  });

  it("the open positions refresh every 5 s through htmx from a partial that needs a session", async () => {
    const m = mint("LIV");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id } = await openPosition(m, { entry_price_usd: 1 });
    const cookie = await login();
    for (const path of ["/", "/positions"]) {
      const html = (await ui("GET", path, { cookie })).text;
      expect(html).toContain('hx-get="/partials/open-positions" hx-trigger="every 5s"');
    }
    const part = await ui("GET", "/partials/open-positions", { cookie });
    expect(part.status).toBe(200);
    expect(part.text).toContain(`data-position="${id}"`);
    expect(part.text).not.toContain("<html");
    expect((await ui("GET", "/partials/open-positions")).status).toBe(302);
  });

  it("the overview's summary cards refresh every 5 s through htmx from a partial that needs a session", async () => {
    const cookie = await login();
    const html = (await ui("GET", "/", { cookie })).text;
    expect(html).toContain(
      'class="cards" id="overview-cards" hx-get="/partials/overview-cards" hx-trigger="every 5s" hx-swap="innerHTML"',
    );
    const openCard = (text: string) =>
      Number(/<div class="card" data-card="open_positions">Open positions<b>(\d+)<\/b>/.exec(text)?.[1] ?? Number.NaN);
    const part = await ui("GET", "/partials/overview-cards", { cookie });
    expect(part.status).toBe(200);
    expect(part.text).not.toContain("<html");
    expect(part.headers.get("content-security-policy")).toContain("script-src 'self'");
    for (const card of ["active_wallets", "signals_24h", "pending_orders", "realized_pnl", "total_pnl"])
      expect(part.text).toContain(`data-card="${card}"`);
    const before = openCard(part.text);
    expect(before).toBe(openCard(html));
    const m = mint("CRD");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    await openPosition(m, { entry_price_usd: 1 });
    expect(openCard((await ui("GET", "/partials/overview-cards", { cookie })).text)).toBe(before + 1);
    expect((await ui("GET", "/partials/overview-cards")).status).toBe(302);
  });

  it("the overview charts the equity curve and daily PnL with simulation and live apart", async () => {
    const insert = (id: string, mode: string, pnl: number, closedAt: string) =>
      env.DB.prepare(
        `INSERT INTO positions (id, mode, source_wallet_address, token_mint, token_decimals, status, entry_price_usd,
           entry_amount, entry_cost_usd, current_amount, realized_pnl_usd, total_pnl_usd, opened_at, closed_at)
         VALUES (?, ?, ?, ?, 6, 'closed', 1, '1000000', 1, '0', ?, ?, '2026-11-01T00:00:00.000Z', ?)`,
      )
        .bind(id, mode, LEADER, mint(id.slice(-3)), pnl, pnl, closedAt)
        .run();
    await insert("pos_eq_a", "simulation", 10, "2026-11-02T10:00:00.000Z");
    await insert("pos_eq_b", "live", -4, "2026-11-02T11:00:00.000Z");
    await insert("pos_eq_c", "simulation", 5, "2026-11-03T09:00:00.000Z");
    const cookie = await login();
    const html = (await ui("GET", "/", { cookie })).text;
    const equity = chartOf(html, "equity-chart");
    const last = (s: number[]) => s[s.length - 1];
    expect(equity.series.map((s: { label: string }) => s.label)).toEqual(["simulation (USD)", "live (USD)"]);
    expect(last(equity.series[0].values)).toBe(15);
    expect(last(equity.series[1].values)).toBe(-4);
    const daily = chartOf(html, "daily-chart");
    expect(daily.kind).toBe("bars");
    const day2 = daily.x.indexOf(Date.parse("2026-11-02T12:00:00Z") / 1000);
    expect(daily.series[0].values[day2]).toBe(10);
    expect(daily.series[1].values[day2]).toBe(-4);
  });

  it("the position detail charts the price path with its fills and the exit levels", async () => {
    const m = mint("DET");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id } = await openPosition(m, { entry_price_usd: 1 });
    const cookie = await login();
    const res = await ui("GET", `/positions/${id}`, { cookie });
    expect(res.status).toBe(200);
    const chart = chartOf(res.text, "price-chart");
    expect(chart.series.map((s: { label: string }) => s.label)).toEqual(["price (USD)", "entry fill", "exit fill"]);
    expect(chart.series[1].values).toContain(1);
    expect(chart.levels).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ label: "stop-loss", value: 0.8 }),
        expect.objectContaining({ label: "scale-out 2×", value: 2 }),
      ]),
    );
    expect(res.text).toContain(`action="/positions/${id}/exit"`);
  });
});

describe("selling from the dashboard", () => {
  it("a manual exit is only queued after its confirmation page, with the percentage chosen", async () => {
    const m = mint("CNF");
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    const { id } = await openPosition(m, { entry_price_usd: 1 });
    const cookie = await login();
    const confirm = await ui("GET", `/positions/${id}/exit?percent=40`, { cookie });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain("Confirm: sell 40 %");
    expect(await ordersOf(id)).toHaveLength(0); // asking to sell sells nothing
    const form = formFields(confirm.text, `/positions/${id}/exit`);
    expect(form.percent).toBe("40");
    expect(form._nonce).toMatch(/^[0-9a-f-]{36}$/);
    for (const bad of ["0", "101", "x"]) {
      const r = await ui("GET", `/positions/${id}/exit?percent=${bad}`, { cookie });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toContain("flash=percent_invalid");
    }
    const done = await ui("POST", `/positions/${id}/exit`, { cookie, form });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toContain("flash=exit_queued");
    const sells = (await ordersOf(id)).filter((o) => o.side === "sell");
    expect(sells).toHaveLength(1);
    expect(sells[0]?.sell_fraction).toBeCloseTo(0.4);
  });

  it("sell-all without the typed phrase sells nothing and says so next to the field; with it, every open position once", async () => {
    const ids: string[] = [];
    for (const tag of ["SA1", "SA2"]) {
      const m = mint(tag);
      await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
      ids.push((await openPosition(m, { entry_price_usd: 1 })).id);
    }
    const cookie = await login();
    const page = await ui("GET", "/positions/sell-all", { cookie });
    const form = formFields(page.text, "/positions/sell-all");
    for (const confirm of ["", "sell all", "SELL"]) {
      const r = await ui("POST", "/positions/sell-all", { cookie, form: { ...form, confirm } });
      expect(r.status).toBe(422);
      expect(r.text).toContain('class="field-error" id="confirm-error"');
      expect(r.text).toContain("type SELL ALL exactly to confirm");
    }
    for (const id of ids) expect(await ordersOf(id)).toHaveLength(0);

    const ok = await ui("POST", "/positions/sell-all", { cookie, form: { ...form, confirm: "SELL ALL" } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toContain("flash=sell_all_queued");
    // The same form submitted again (double click) sells nothing more.
    await ui("POST", "/positions/sell-all", { cookie, form: { ...form, confirm: "SELL ALL" } });
    for (const id of ids) {
      const sells = (await ordersOf(id)).filter((o) => o.side === "sell");
      expect(sells, id).toHaveLength(1);
      expect(sells[0]?.sell_fraction).toBe(1);
    }
  });
});

describe("exitLevels", () => {
  const rules: StrategyRules = {
    stop_loss_percent: 20,
    trailing_stop_percent: 10,
    trailing_activation_percent: 50,
    scaling_levels: [
      { multiple: 2, sell_percent: 50 },
      { multiple: 3, sell_percent: 25 },
    ],
    mirror_exit_enabled: true,
    max_hold_minutes: 60,
    take_profit_table: [{ after_minutes: 30, min_profit_percent: 10 }],
  };
  const base = {
    rules,
    entry_price_usd: 1,
    peak_price_usd: 1.2,
    current_price_usd: 1.1,
    trailing_active: false,
    scaling_levels_hit: [] as number[],
    opened_at_ms: 0,
    now_ms: 10 * 60_000,
  };

  it("reads every rule as the price where it would fire", () => {
    const l = exitLevels(base);
    expect(l.stop_loss_usd).toBeCloseTo(0.8);
    expect(l.trailing).toEqual({ armed: false, stop_usd: null, activation_usd: 1.5 });
    expect(l.next_scaling).toEqual({ index: 0, multiple: 2, price_usd: 2, sell_percent: 50 });
    expect(l.take_profit).toBeNull(); // the first row starts at 30 min
    expect(l.time_exit_at_ms).toBe(3_600_000);
  });

  it("arms the trailing stop from the peak, skips hit levels and picks the take-profit row in force", () => {
    const l = exitLevels({ ...base, peak_price_usd: 2.5, scaling_levels_hit: [0], now_ms: 45 * 60_000 });
    expect(l.trailing?.armed).toBe(true);
    expect(l.trailing?.stop_usd).toBeCloseTo(2.25);
    expect(l.next_scaling?.index).toBe(1);
    expect(l.take_profit?.price_usd).toBeCloseTo(1.1);
  });

  it("disabled rules give no level", () => {
    const l = exitLevels({
      ...base,
      rules: {
        ...rules,
        stop_loss_percent: null,
        trailing_stop_percent: null,
        trailing_activation_percent: null,
        max_hold_minutes: null,
        scaling_levels: [],
      },
    });
    expect(l).toMatchObject({ stop_loss_usd: null, trailing: null, next_scaling: null, time_exit_at_ms: null });
  });
});

describe("signals page", () => {
  const seedSignal = async (
    sig: string,
    over: {
      type?: string;
      sol?: number;
      reason?: string | null;
      order?: string | null;
      safety?: number | null;
      block?: string;
      received?: string;
    },
  ) => {
    await env.DB.prepare(
      `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, sol_amount, safety_score,
         filtered, filter_reason, order_id, block_time, webhook_received_at, processed_at, raw_payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')`,
    )
      .bind(
        sig,
        LEADER,
        over.type ?? "buy",
        mint("SGW"),
        over.sol ?? 1,
        over.safety ?? null,
        over.reason ? 1 : 0,
        over.reason ?? null,
        over.order ?? null,
        over.block ?? "2026-11-20T10:00:00.000Z",
        over.received ?? "2026-11-20T10:00:02.000Z",
        "2026-11-20T10:00:02.500Z",
      )
      .run();
  };

  it("a filtered signal's reason is shown in words with its numbers, and a mirrored SELL is labelled mirrored", async () => {
    await env.DB.prepare(
      "UPDATE config SET min_leader_trade_sol = 0.5, max_leader_trade_sol = 50, max_signal_age_seconds = 60, safety_threshold = 0.6 WHERE id = 1",
    ).run();
    await seedSignal("sigw-small", { sol: 0.1, reason: "leader_trade_too_small" });
    await seedSignal("sigw-stale", {
      reason: "stale_signal",
      block: "2026-11-20T09:58:00.000Z",
      received: "2026-11-20T10:00:00.000Z",
    });
    await seedSignal("sigw-safety", { reason: "safety_check_failed", safety: 0.35 });
    await seedSignal("sigw-mirror", { type: "sell", order: "ord_mirror_x" });
    const cookie = await login();
    const html = (await ui("GET", "/signals", { cookie })).text;
    expect(html).toContain("leader&#39;s trade 0.1 SOL is below the minimum 0.5 SOL (range 0.5–50 SOL)");
    expect(html).toContain("signal was 120 s old when received; the limit is 60 s");
    expect(html).toContain("token safety score 0.35 is below the threshold 0.6");
    expect(html).toContain("mirrored (exit of the copied position)");
    expect(html).toContain("2.00 s · 0.50 s"); // block → webhook · webhook → decision
  });

  it("filters by side, outcome and reason; unknown filter values are ignored", async () => {
    await seedSignal("sigf-big", { sol: 999, reason: "leader_trade_too_large" });
    const cookie = await login();
    const only = (await ui("GET", "/signals?outcome=filtered&reason=leader_trade_too_large", { cookie })).text;
    expect(only).toContain("above the maximum");
    expect(only).not.toContain("below the minimum");
    const sells = (await ui("GET", "/signals?side=sell", { cookie })).text;
    expect(sells).not.toContain("above the maximum");
    const junk = await ui("GET", "/signals?side=%3Cx%3E&hours=-3&outcome=zzz", { cookie });
    expect(junk.status).toBe(200);
    expect(junk.text).toContain("above the maximum");
  });
});

describe("watchlist from the dashboard", () => {
  const csrfOf = (html: string) => /name="_csrf" value="([0-9a-f]{64})"/.exec(html)?.[1] ?? "";
  const walletCount = async () =>
    (await env.DB.prepare("SELECT count(*) AS n FROM wallets").first<{ n: number }>())?.n ?? 0;

  it("a bad address is refused next to the field and adds nothing; a good one is added and can be paused", async () => {
    const cookie = await login();
    const csrf = csrfOf((await ui("GET", "/wallets", { cookie })).text);
    const before = await walletCount();
    const bad = await ui("POST", "/wallets", {
      cookie,
      form: { _csrf: csrf, address: "not-a-solana-address", label: "x" },
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toMatch(/<span class="field-error" id="address-error">[^<]+<\/span>/);
    expect(bad.text).toContain('value="not-a-solana-address"'); // what was typed is kept
    expect(await walletCount()).toBe(before);

    const address = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1";
    const ok = await ui("POST", "/wallets", {
      cookie,
      form: { _csrf: csrf, address, label: "dash-added", mode: "simulation" },
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toContain("flash=wallet_added");
    const row = await env.DB.prepare("SELECT id, is_active, label FROM wallets WHERE address = ?")
      .bind(address)
      .first<{ id: number; is_active: number; label: string }>();
    expect(row).toMatchObject({ is_active: 1, label: "dash-added" });

    const dup = await ui("POST", "/wallets", { cookie, form: { _csrf: csrf, address } });
    expect(dup.status).toBe(422);
    expect(dup.text).toContain('class="field-error"');

    const pause = await ui("POST", `/wallets/${row?.id}/active`, { cookie, form: { _csrf: csrf, active: "false" } });
    expect(pause.headers.get("location")).toContain("flash=wallet_paused");
    const paused = await env.DB.prepare("SELECT is_active FROM wallets WHERE id = ?")
      .bind(row?.id)
      .first<{ is_active: number }>();
    expect(paused?.is_active).toBe(0);
    const page = (await ui("GET", "/wallets", { cookie })).text;
    expect(page).toContain(">Resume</button>");
  });
});
