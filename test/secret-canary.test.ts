import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { log, redact, registerSecrets, setLogLevel } from "../src/lib/logger";
import { randomAddress } from "./helpers/addresses";
import { positionRow, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { addr, nativeBuy } from "./helpers/helius";
import { insertWallet } from "./helpers/wallet-actor";

/**
 * Canary test (issue 9, "Also: log redactor"): every configured secret's value is a canary. The test
 * drives the webhook, the API, the dashboard, the actors and the crons — including failures whose
 * messages carry URLs and headers — and asserts that no canary ever reaches a captured log line, a
 * response body or header, or any D1 row, while harmless fields such as `token_metadata_looked_up`
 * stay readable.
 */
const CANARY_JUPITER = "canary-jupiter-key-7f3a91";
const CANARY_WALLET = "canary-wallet-key-not-base58-0";
const OPERATOR = env.OPERATOR_TOKEN as string;
const HELIUS_SECRET = env.HELIUS_WEBHOOK_SECRET as string;
const HELIUS_KEY = env.HELIUS_API_KEY as string;
const CANARIES = [OPERATOR, HELIUS_SECRET, HELIUS_KEY, CANARY_JUPITER, CANARY_WALLET];
// The Worker sees every secret configured (the actors share the test bindings' three).
const canaryEnv = { ...env, JUPITER_API_KEY: CANARY_JUPITER, WALLET_PRIVATE_KEY: CANARY_WALLET } as Env;

const lines: string[] = [];
const seen: string[] = []; // response bodies and headers
const spies: { mockRestore(): void }[] = [];

beforeAll(() => {
  // Every level is checked for secrets, not only what the default LOG_LEVEL writes.
  setLogLevel("debug");
  for (const m of ["log", "info", "warn", "error", "debug"] as const)
    spies.push(
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      }),
    );
});
afterAll(() => {
  setLogLevel(null);
  for (const s of spies) s.mockRestore();
});

async function call(path: string, init: RequestInit = {}) {
  const res = await worker.fetch(
    new Request(`https://walltrack.test${path}`, { redirect: "manual", ...init }),
    canaryEnv,
    createExecutionContext(),
  );
  const text = await res.text();
  seen.push(`${res.status} ${path} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, text, headers: res.headers };
}
const apiCall = (method: string, path: string, body?: unknown, auth = `Bearer ${OPERATOR}`) =>
  call(path, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function cron(expr: string) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: expr, scheduledTime: Date.now() }), canaryEnv, ctx);
  await waitOnExecutionContext(ctx);
}

async function allD1Rows(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
  ).all<{ name: string }>();
  const out: string[] = [];
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    out.push(`${name}: ${JSON.stringify(rows.results)}`);
  }
  return out.join("\n");
}

describe("secret canaries never reach a log line, a response or D1", () => {
  it("the canaries are real, distinct configured values", () => {
    for (const c of CANARIES) expect(c.length).toBeGreaterThanOrEqual(8);
    expect(new Set(CANARIES).size).toBe(CANARIES.length);
  });

  it("drives webhook, API, dashboard, actors and crons (with failures) without leaking a canary", async () => {
    await fake.reset();
    await resetBreaker();
    await setConfig({ swap_min_spacing_ms: 0, safety_check_enabled: false });

    // Webhook: wrong secrets (one carrying a canary), a good delivery that trades, and a bad item.
    const wallet = randomAddress();
    await insertWallet(wallet);
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    for (const auth of [`Bearer ${HELIUS_SECRET}`, `${HELIUS_SECRET}x`, OPERATOR])
      expect(
        (
          await call("/webhooks/helius", {
            method: "POST",
            headers: { authorization: auth, "content-type": "application/json" },
            body: "[]",
          })
        ).status,
      ).toBe(403);
    const delivery = [nativeBuy(wallet, mint, { sol: 1, tokens: 1000 }), { signature: 42, nonsense: true }];
    const hook = await call("/webhooks/helius", {
      method: "POST",
      headers: { authorization: HELIUS_SECRET, "content-type": "application/json" },
      body: JSON.stringify(delivery),
    });
    expect(hook.status).toBe(200);

    // The trade reaches a position; its poll runs (PriceFeed → Jupiter, then a failing Jupiter).
    const pos = await waitFor(
      async () =>
        (await env.DB.prepare("SELECT id FROM positions WHERE token_mint = ?").bind(mint).first<{ id: string }>()) ??
        null,
      15_000,
    );
    const actor = env.POSITION_ACTOR.getByName(pos.id);
    await runDurableObjectAlarm(actor);
    await fake.fail("jupiter.price", { status: 500, times: 1 });
    await fake.fail("dexscreener.tokens", { status: 502, times: 1 });
    await runDurableObjectAlarm(actor);

    // API: good and bad auth, bad input, a manual exit, reads of everything.
    expect((await apiCall("GET", "/api/v1/config", undefined, `Bearer ${HELIUS_KEY}`)).status).toBe(401);
    expect([400, 401]).toContain((await apiCall("GET", "/api/v1/config", undefined, OPERATOR)).status);
    for (const p of ["/api/v1/config", "/api/v1/signals", "/api/v1/orders", "/api/v1/positions", "/api/v1/sync/helius"])
      expect((await apiCall("GET", p)).status).toBe(200);
    expect((await apiCall("GET", `/api/v1/positions/${pos.id}`)).status).toBe(200);
    expect((await apiCall("PUT", "/api/v1/config", { capital_usd: -5 })).status).toBe(400);
    const held = (await positionRow(pos.id))?.current_amount;
    expect(held).toEqual(expect.any(String));
    expect((await apiCall("POST", `/api/v1/positions/${pos.id}/exit`, { percent: 50 })).status).toBe(202);
    await waitFor(async () => ((await positionRow(pos.id))?.current_amount !== held ? true : null), 15_000);

    // Helius sync and backfill, failing (error messages carry the api-key URL) and succeeding.
    await fake.fail("helius.webhooks.get", { status: 500, times: 1 });
    expect((await apiCall("POST", "/api/v1/sync/helius")).status).toBe(503);
    await fake.fail("helius.webhooks.get", { mode: "timeout", times: 1 });
    expect((await apiCall("POST", "/api/v1/sync/helius")).status).toBe(503);
    expect((await apiCall("POST", "/api/v1/sync/helius")).status).toBe(200);
    await fake.fail("rpc.getSignaturesForAddress", { status: 500, times: 3 });
    await apiCall("POST", "/api/v1/sync/backfill", {});
    await fake.fail("*", { status: 500, times: 20 });
    await cron("*/5 * * * *");
    await cron("0 * * * *");
    await fake.clearFailure("*");
    await cron("0 * * * *");
    await cron("0 0 * * *");

    // Dashboard: a wrong login, the real login (the token is the form field), every page.
    expect(
      (
        await call("/login", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: `token=${HELIUS_KEY}`,
        })
      ).status,
    ).toBe(401);
    const login = await call("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: OPERATOR }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    for (const p of ["/", "/positions", "/signals", "/wallets"])
      expect((await call(p, { headers: { cookie } })).status).toBe(200);

    // Everything the system wrote or said, scanned for every canary.
    const d1 = await allD1Rows();
    expect(lines.length).toBeGreaterThan(10);
    for (const c of CANARIES) {
      for (const l of lines) expect(l.includes(c), `log line leaks a secret: ${l.slice(0, 300)}`).toBe(false);
      for (const r of seen) expect(r.includes(c), `response leaks a secret: ${r.slice(0, 300)}`).toBe(false);
      expect(d1.includes(c), "a D1 row holds a secret").toBe(false);
    }
    // Harmless fields stay readable: the hourly job's summary names its token-metadata count in the clear.
    const hourly = lines.find((l) => l.includes('"job_finished"') && l.includes('"hourly_refresh"'));
    expect(hourly).toMatch(/"token_metadata_looked_up":\d+/);
  });
});

describe("log redaction", () => {
  const captured = () => lines.slice();
  it("blanks known secret field names, whatever their case or separator", () => {
    const before = captured().length;
    log.info("redaction_checked", {
      authorization: "Bearer abc",
      Authorization: "x",
      OPERATOR_TOKEN: "x",
      helius_webhook_secret: "x",
      heliusApiKey: "x",
      "x-api-key": "x",
      api_key: "x",
      apiKey: "x",
      JUPITER_API_KEY: "x",
      wallet_private_key: "x",
      privateKey: "x",
      password: "x",
      client_secret: "x",
      authHeader: "x",
      cookie: "x",
      access_token: "x",
      nested: { deeper: [{ secret: "x" }] },
    });
    const line = JSON.parse(captured()[before] as string);
    for (const k of Object.keys(line).filter((k) => !["event", "level", "ts", "nested"].includes(k)))
      expect(line[k], k).toBe("[redacted]");
    expect(line.nested.deeper[0].secret).toBe("[redacted]");
  });

  it("keeps harmless fields readable: token_metadata_looked_up, token_mint, tokens, token_decimals", () => {
    const before = captured().length;
    log.info("job_finished", {
      token_metadata_looked_up: 3,
      token_mint: "So11111111111111111111111111111111111111112",
      tokens_refreshed: 2,
      token_decimals: 6,
      token_safety: { score: 0.75 },
      csrf_checked: true,
    });
    const line = JSON.parse(captured()[before] as string);
    expect(line).toMatchObject({
      token_metadata_looked_up: 3,
      token_mint: "So11111111111111111111111111111111111111112",
      tokens_refreshed: 2,
      token_decimals: 6,
      token_safety: { score: 0.75 },
      csrf_checked: true,
    });
  });

  it("scrubs every configured secret value wherever it appears in a string, raw or URL-encoded", () => {
    const before = captured().length;
    const spaced = "canary with/slash+plus=";
    registerSecrets({ JUPITER_API_KEY: "k3y/with+special=chars" });
    redact(""); // the Worker's own secrets are registered from its env
    log.warn("upstream_failed", {
      error: `GET https://api.helius.test/v0/webhooks?api-key=${HELIUS_KEY} said ${OPERATOR}`,
      list: [`header ${HELIUS_SECRET}`],
      err: new Error(`boom ${HELIUS_KEY}`),
      auth: `Bearer ${spaced}`,
      url: `https://jup.test/price?key=${encodeURIComponent("k3y/with+special=chars")}`,
    });
    const line = captured()[before] as string;
    for (const c of [
      HELIUS_KEY,
      OPERATOR,
      HELIUS_SECRET,
      spaced,
      "k3y/with+special=chars",
      encodeURIComponent("k3y/with+special=chars"),
    ])
      expect(line).not.toContain(c);
    expect(line).toContain("[redacted]");
    expect(line).toContain("upstream_failed");
  });
});
