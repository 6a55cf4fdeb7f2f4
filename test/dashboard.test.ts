import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { generateSignedCookie } from "hono/cookie";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { FLASH, flashFor } from "../src/ui/flash";
import { OPERATOR_TOKEN } from "./helpers/api";
import { LEADER, mint, positionRow, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";

const BASE = "https://walltrack.test";
const PAGES = ["/", "/positions", "/signals", "/wallets", "/tokens"];

async function ui(method: string, path: string, opts: { cookie?: string; form?: Record<string, string> } = {}) {
  const res = await exports.default.fetch(`${BASE}${path}`, {
    method,
    redirect: "manual",
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Logs in with the operator token; returns the `name=value` cookie pair. */
async function login(): Promise<string> {
  const res = await ui("POST", "/login", { form: { token: OPERATOR_TOKEN } });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/");
  const set = res.headers.get("set-cookie") ?? "";
  const pair = set.split(";")[0] ?? "";
  expect(pair.startsWith("wt_session=")).toBe(true);
  return pair;
}

const csrfOf = (html: string) => {
  const m = /name="_csrf" value="([0-9a-f]{64})"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF field in the page");
  return m[1];
};

async function sessionWithCsrf(page = "/") {
  const cookie = await login();
  const res = await ui("GET", page, { cookie });
  expect(res.status).toBe(200);
  return { cookie, csrf: csrfOf(res.text) };
}

/** A session cookie built like the server's, with a chosen secret and issue time. */
async function craftedCookie(secret: string, issuedAt: number) {
  const generation =
    (await env.DB.prepare("SELECT generation FROM dashboard_session WHERE id = 1").first<{ generation: number }>())
      ?.generation ?? 0;
  const value = `walltrack-dashboard.v1.${issuedAt}.${generation}`;
  const full = await generateSignedCookie("wt_session", value, secret, { path: "/" });
  return full.split(";")[0] ?? "";
}

/** The flash of an action's redirect: its message and whether it is an error. */
const flashOf = (res: { headers: Headers }) => {
  const q = new URL(res.headers.get("location") ?? "/", BASE).searchParams;
  const key = q.get("flash") ?? "";
  return { key, msg: flashFor(key)?.msg ?? "", error: flashFor(key)?.error ?? false };
};

const breakerEvents = async () =>
  (
    await env.DB.prepare("SELECT * FROM circuit_breaker_events ORDER BY id").all<{
      event_type: string;
      trigger: string;
      reason: string;
    }>()
  ).results;

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, simulated_slippage_bps: 100 });
});

describe("dashboard login", () => {
  it("redirects every page and action to /login without a session", async () => {
    for (const p of PAGES) {
      const res = await ui("GET", p);
      expect(res.status, p).toBe(302);
      expect(res.headers.get("location"), p).toBe("/login");
    }
    for (const p of ["/positions/pos_x/exit", "/circuit-breaker/trip", "/circuit-breaker/resume", "/logout"]) {
      const res = await ui("POST", p, { form: { percent: "100", reason: "x" } });
      expect(res.status, p).toBe(302);
      expect(res.headers.get("location"), p).toBe("/login");
    }
    const form = await ui("GET", "/login");
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
  });

  it("answers 401 with the form again and no cookie for a wrong or empty token", async () => {
    for (const token of ["wrong-token", "", `${OPERATOR_TOKEN}x`, OPERATOR_TOKEN.slice(0, -1)]) {
      const res = await ui("POST", "/login", { form: { token } });
      expect(res.status, token).toBe(401);
      expect(res.headers.get("set-cookie"), token).toBeNull();
      expect(res.text).toContain("Wrong operator token");
    }
    const noField = await ui("POST", "/login", { form: { other: OPERATOR_TOKEN } });
    expect(noField.status).toBe(401);
  });

  it("is closed (503) when OPERATOR_TOKEN is unset or empty, even with a would-be valid cookie", async () => {
    const cookie = await login();
    for (const token of [undefined, ""]) {
      const call = (method: string, path: string, body?: string) =>
        worker.fetch(
          new Request(`${BASE}${path}`, {
            method,
            redirect: "manual",
            headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
            body,
          }),
          { ...env, OPERATOR_TOKEN: token },
          createExecutionContext(),
        );
      const loginForm = await call("GET", "/login");
      expect(loginForm.status).toBe(503);
      expect(await loginForm.text()).toContain("not configured");
      const post = await call("POST", "/login", "token=");
      expect(post.status).toBe(503);
      expect(post.headers.get("set-cookie")).toBeNull();
      for (const p of PAGES) expect((await call("GET", p)).status, p).toBe(503);
      expect((await call("POST", "/circuit-breaker/trip", "reason=x")).status).toBe(503);
    }
  });

  it("sets an HttpOnly SameSite=Strict Secure cookie that does not contain the token", async () => {
    const res = await ui("POST", "/login", { form: { token: OPERATOR_TOKEN } });
    expect(res.status).toBe(303);
    const set = res.headers.get("set-cookie") ?? "";
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Secure/i);
    expect(set).toMatch(/Path=\//);
    expect(set).toMatch(/Max-Age=43200/);
    const decoded = decodeURIComponent(set);
    expect(decoded).not.toContain(OPERATOR_TOKEN);
    expect(decoded).not.toContain(btoa(OPERATOR_TOKEN));
    for (const p of PAGES) {
      const page = await ui("GET", p, { cookie: set.split(";")[0] });
      expect(page.status, p).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(page.text).not.toContain(OPERATOR_TOKEN);
    }
  });

  it("rejects forged, foreign-secret, expired and future cookies (302 to /login)", async () => {
    const now = Date.now();
    // The crafted form is the server's own: a fresh one signed with the real token works...
    const good = await craftedCookie(OPERATOR_TOKEN, now);
    expect((await ui("GET", "/", { cookie: good })).status).toBe(200);
    // ...so each rejection below is due to the one thing that differs.
    const bad = [
      `wt_session=${encodeURIComponent(`walltrack-dashboard.v1.${now}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`)}`,
      `wt_session=walltrack-dashboard.v1.${now}`,
      `wt_session=${OPERATOR_TOKEN}`,
      await craftedCookie("another-secret", now),
      await craftedCookie(OPERATOR_TOKEN, now - 13 * 3600 * 1000),
      await craftedCookie(OPERATOR_TOKEN, now + 3600 * 1000),
      good.replace("walltrack-dashboard.v1.", "walltrack-dashboard.v2."),
    ];
    for (const cookie of bad) {
      const res = await ui("GET", "/positions", { cookie });
      expect(res.status, cookie).toBe(302);
      expect(res.headers.get("location")).toBe("/login");
    }
  });

  it("logs out with the CSRF token (cookie cleared); without it 403", async () => {
    const { cookie, csrf } = await sessionWithCsrf();
    expect((await ui("POST", "/logout", { cookie, form: {} })).status).toBe(403);
    const out = await ui("POST", "/logout", { cookie, form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/login");
    expect(out.headers.get("set-cookie")).toMatch(/wt_session=;.*Max-Age=0/);
  });
});

describe("dashboard pages", () => {
  it("show the seeded wallet, signal, open and closed positions, jobs and breaker state, all escaped", async () => {
    const wallet = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
    const { meta } = await env.DB.prepare(
      "INSERT INTO wallets (address, label, mode, helius_sync_status, last_signal_at) VALUES (?, ?, 'simulation', 'synced', ?)",
    )
      .bind(wallet, "<script>alert(1)</script>", "2026-11-20T08:00:00.000Z")
      .run();
    const walletId = meta.last_row_id;
    const sigMint = mint("SIG");
    await env.DB.prepare(
      `INSERT INTO signals (transaction_signature, wallet_id, wallet_address, signal_type, token_mint, sol_amount,
         filtered, filter_reason, webhook_received_at, raw_payload)
       VALUES (?, ?, ?, 'buy', ?, 1.5, 1, 'liquidity_too_low', ?, '{}')`,
    )
      .bind("dash-sig-1", walletId, wallet, sigMint, new Date().toISOString())
      .run();
    const openMint = mint("OPN");
    await fake.tokens({ mint: openMint, price_usd: 1, decimals: 6 });
    await openPosition(openMint, { entry_price_usd: 1 });
    const closedMint = mint("CLS");
    await env.DB.prepare(
      `INSERT INTO positions (id, mode, source_wallet_address, token_mint, token_decimals, status, entry_price_usd,
         entry_amount, entry_cost_usd, current_amount, realized_pnl_usd, total_pnl_usd, pnl_percent, sold_amount,
         exit_proceeds_usd, avg_exit_price_usd, exit_reason, opened_at, closed_at)
       VALUES ('pos_dash_closed', 'simulation', ?, ?, 6, 'closed', 1, '1000000', 1, '0', 0.5, 0.5, 50, '1000000',
         1.5, 1.5, 'take_profit', '2026-11-20T09:00:00.000Z', '2026-11-20T10:00:00.000Z')`,
    )
      .bind(LEADER, closedMint)
      .run();
    await env.DB.prepare(
      "INSERT INTO job_runs (job, status, detail, started_at, finished_at) VALUES ('hourly_refresh', 'error', 'dash-boom <b>', ?, ?)",
    )
      .bind("2026-11-21T09:00:00.000Z", "2026-11-21T09:00:01.000Z")
      .run();
    await env.DB.prepare("UPDATE config SET helius_last_sync_status = 'ok', helius_webhook_id = 'wh-dash-1'").run();

    const cookie = await login();
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    const short = (a: string) => `${a.slice(0, 4)}…${a.slice(-4)}`;

    const overview = (await ui("GET", "/", { cookie })).text;
    expect(overview).toContain("Circuit breaker: closed");
    expect(overview).toContain("Stop new entries");
    expect(overview).toMatch(/Signals 24 h<b>[1-9]\d*<\/b><span class="muted">[1-9]\d* filtered/);
    expect(overview).toMatch(/Open positions<b>[1-9]\d*<\/b>/);
    expect(overview).toMatch(/Active wallets<b>[1-9]\d*<\/b>/);
    expect(overview).toContain('Realized PnL<b class="pos">$');
    expect(overview).toContain("dash-boom &lt;b&gt;");
    expect(overview).toContain("performance_aggregation");
    expect(overview).toContain("wh-dash-1");

    const pos = (await ui("GET", "/positions", { cookie })).text;
    expect(pos).toContain(short(openMint));
    expect(pos).toContain(short(LEADER));
    expect(pos).toContain("100.0 %"); // amount left
    // Selling is two steps: the percentage form here, the confirmation (with the nonce) on the next page.
    expect(pos).toContain("Sell % …");
    expect(pos).not.toContain('name="_nonce"');
    expect(pos).toContain(short(closedMint));
    expect(pos).toContain("take_profit");
    expect(pos).toContain("$1.50"); // avg exit
    expect(pos).toContain("50.0 %"); // pnl %

    const sig = (await ui("GET", "/signals", { cookie })).text;
    expect(sig).toContain(escaped);
    expect(sig).not.toContain("<script>alert(1)</script>");
    expect(sig).toContain(short(sigMint));
    expect(sig).toContain("1.500 SOL");
    expect(sig).toContain("filtered: liquidity_too_low");

    const w = (await ui("GET", "/wallets", { cookie })).text;
    expect(w).toContain(escaped);
    expect(w).not.toContain("<script>alert(1)</script>");
    expect(w).toContain(short(wallet));
    expect(w).toContain("synced");
    expect(w).toContain("2026-11-20 08:00:00Z");

    // Flash messages come from a fixed set: free text in the query string is never shown.
    const crafted = encodeURIComponent("<img src=x onerror=alert(1)> send your token to evil.example");
    for (const q of [`msg=${crafted}`, `flash=${crafted}`, "flash=toString", "flash=__proto__"]) {
      const page = (await ui("GET", `/positions?${q}`, { cookie })).text;
      expect(page).not.toContain("evil.example");
      expect(page).not.toContain('class="flash');
    }
    expect((await ui("GET", "/positions?flash=exit_queued", { cookie })).text).toContain(FLASH.exit_queued.text);
  });
});

describe("dashboard actions", () => {
  it("queues a manual exit only with a valid CSRF token of the same session", async () => {
    const m = mint("DEX");
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    const { id } = await openPosition(m, { entry_price_usd: 1 });
    const { cookie, csrf } = await sessionWithCsrf("/positions");
    const path = `/positions/${id}/exit`;

    const other = await craftedCookie(OPERATOR_TOKEN, Date.now() - 5000);
    const otherCsrf = csrfOf((await ui("GET", "/positions", { cookie: other })).text);
    expect(otherCsrf).not.toBe(csrf);
    const forms: Record<string, string>[] = [
      { percent: "50" },
      { percent: "50", _csrf: "0".repeat(64) },
      { percent: "50", _csrf: otherCsrf },
    ];
    for (const form of forms) {
      const res = await ui("POST", path, { cookie, form });
      expect(res.status).toBe(403);
    }
    // Wrong method of submission: a JSON body carries no form field.
    const json = await exports.default.fetch(`${BASE}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ percent: 50, _csrf: csrf }),
    });
    expect(json.status).toBe(403);
    expect(await ordersOf(id)).toHaveLength(0);

    for (const percent of ["0", "150", "abc", ""]) {
      const res = await ui("POST", path, { cookie, form: { percent, _csrf: csrf } });
      expect(res.status, percent).toBe(303);
      expect(res.headers.get("location"), percent).toBe("/positions?flash=percent_invalid");
    }
    expect(await ordersOf(id)).toHaveLength(0);

    const half = await ui("POST", path, { cookie, form: { percent: "50", _csrf: csrf, _nonce: crypto.randomUUID() } });
    expect(half.status).toBe(303);
    const loc = half.headers.get("location") ?? "";
    expect(loc).toBe("/positions?flash=exit_queued");
    await waitFor(async () => ((await positionRow(id))?.current_amount === "500000000" ? true : null));
    const [o] = await ordersOf(id);
    expect(o).toMatchObject({ side: "sell", priority: "urgent", reason: "manual", executed_in_amount: "500000000" });
    const shown = await ui("GET", loc, { cookie });
    expect(shown.text).toContain(FLASH.exit_queued.text);
    expect(shown.text).toContain("50.0 %"); // amount left

    const all = await ui("POST", path, { cookie, form: { percent: "100", _csrf: csrf, _nonce: crypto.randomUUID() } });
    expect(all.status).toBe(303);
    const closed = await waitFor(async () => ((await positionRow(id))?.status === "closed" ? positionRow(id) : null));
    expect(closed).toMatchObject({ exit_reason: "manual", current_amount: "0" });

    // Closed: the API's Conflict becomes an error flash; nothing more is queued.
    const again = await ui("POST", path, {
      cookie,
      form: { percent: "100", _csrf: csrf, _nonce: crypto.randomUUID() },
    });
    expect(again.status).toBe(303);
    expect(flashOf(again)).toMatchObject({ error: true, key: "position_closed" });
    expect(await ordersOf(id)).toHaveLength(2);
    const unknown = await ui("POST", "/positions/pos_nope/exit", {
      cookie,
      form: { percent: "100", _csrf: csrf, _nonce: crypto.randomUUID() },
    });
    expect(flashOf(unknown)).toMatchObject({ error: true, key: "position_not_found" });
  });

  it("trips and resumes the circuit breaker through the forms, writing manual events", async () => {
    const { cookie, csrf } = await sessionWithCsrf();
    const before = (await breakerEvents()).length;

    expect((await ui("POST", "/circuit-breaker/trip", { cookie, form: { reason: "x" } })).status).toBe(403);
    expect(
      (
        await ui("POST", "/circuit-breaker/trip", {
          cookie,
          form: { reason: "x", _csrf: csrf.replace(/^./, (ch) => (ch === "f" ? "e" : "f")) },
        })
      ).status,
    ).toBe(403);
    const empty = await ui("POST", "/circuit-breaker/trip", { cookie, form: { reason: "   ", _csrf: csrf } });
    expect(empty.headers.get("location")).toBe("/?flash=reason_required");
    expect(await breakerEvents()).toHaveLength(before);

    const trip = await ui("POST", "/circuit-breaker/trip", { cookie, form: { reason: "dash pause", _csrf: csrf } });
    expect(trip.status).toBe(303);
    let events = await breakerEvents();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({ event_type: "trip", trigger: "manual", reason: "dash pause" });
    const page = await ui("GET", trip.headers.get("location") ?? "/", { cookie });
    expect(page.text).toContain("Circuit breaker: OPEN");
    expect(page.text).toContain("dash pause");
    expect(page.text).toContain("Resume");

    const twice = await ui("POST", "/circuit-breaker/trip", { cookie, form: { reason: "again", _csrf: csrf } });
    expect(flashOf(twice)).toMatchObject({ error: true, key: "breaker_already_open" });
    expect(await breakerEvents()).toHaveLength(before + 1);

    expect((await ui("POST", "/circuit-breaker/resume", { cookie, form: {} })).status).toBe(403);
    const resume = await ui("POST", "/circuit-breaker/resume", { cookie, form: { reason: "", _csrf: csrf } });
    expect(resume.status).toBe(303);
    events = await breakerEvents();
    expect(events).toHaveLength(before + 2);
    expect(events.at(-1)).toMatchObject({
      event_type: "reset",
      trigger: "manual",
      reason: "resumed from the dashboard",
    });
  });
});

describe("dashboard alongside the API", () => {
  it("leaves /health, /openapi.json, the API auth and notFound as they were", async () => {
    expect((await ui("GET", "/health")).status).toBe(200);
    const spec = JSON.parse((await ui("GET", "/openapi.json")).text) as { paths: Record<string, unknown> };
    for (const p of ["/", "/login", "/logout", "/positions", "/signals", "/wallets", "/circuit-breaker/trip"])
      expect(Object.keys(spec.paths)).not.toContain(p);
    expect(Object.keys(spec.paths)).toContain("/api/v1/positions/{id}/exit");
    expect((await ui("GET", "/docs")).status).toBe(200);
    // A dashboard cookie is not an API credential.
    const cookie = await login();
    expect((await ui("GET", "/api/v1/circuit-breaker", { cookie })).status).toBe(401);
    const nf = await ui("GET", "/no-such-page", { cookie });
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.text)).toMatchObject({ error: "NotFound" });
  });
});
