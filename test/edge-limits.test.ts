import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EDGE_LIMITS } from "../src/lib/edge-limits";
import { expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { csrfOf, ui, uiLogin } from "./helpers/ui";

const BASE = "https://walltrack.test";
let n = 0;
const ip = () => `203.0.113.${++n}`;

const apiAs = (address: string, token: string) =>
  exports.default.fetch(`${BASE}/api/v1/config`, {
    headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": address },
  });

const webhookAs = (address: string, secret: string) =>
  exports.default.fetch(`${BASE}/webhooks/helius`, {
    method: "POST",
    headers: { authorization: secret, "cf-connecting-ip": address, "content-type": "application/json" },
    body: "[]",
  });

describe("hardened edge: failed attempts are limited per client address", () => {
  it("repeated bad logins get 429 with Retry-After; the right token still works from another address", async () => {
    const bad = ip();
    for (let i = 1; i < EDGE_LIMITS.login.limit; i++) {
      const r = await ui("POST", "/login", { form: { token: `wrong-${i}` }, ip: bad });
      expect(r.status).toBe(401);
    }
    const limited = await ui("POST", "/login", { form: { token: "wrong-last" }, ip: bad });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.text).toContain("Too many failed logins");
    // Blocked: even the right token is not looked at from that address (guessing gains nothing)...
    const right = await ui("POST", "/login", { form: { token: OPERATOR_TOKEN }, ip: bad });
    expect(right.status).toBe(429);
    expect(right.headers.get("set-cookie")).toBeNull();
    // ...while the operator's own address logs in.
    expect(await uiLogin(ip())).toMatch(/^wt_session=/);
  });

  it("the block ends with its window (alarm clears it)", async () => {
    const bad = ip();
    for (let i = 0; i < EDGE_LIMITS.login.limit; i++) await ui("POST", "/login", { form: { token: "x" }, ip: bad });
    expect((await ui("POST", "/login", { form: { token: OPERATOR_TOKEN }, ip: bad })).status).toBe(429);
    const stub = env.RATE_LIMITER.getByName(`login:${bad}`);
    const at = Date.now() + EDGE_LIMITS.login.windowMs + 1;
    expect((await stub.check(at)).blocked).toBe(false);
    // the alarm at the end of the window deletes the counter (driven explicitly, state past the window)
    expect(await runDurableObjectAlarm(stub)).toBe(true);
  });

  it("repeated bad bearer tokens get 429 in the envelope; the right token from another address still works", async () => {
    const bad = ip();
    for (let i = 1; i < EDGE_LIMITS.bearer.limit; i++) expect((await apiAs(bad, `nope-${i}`)).status).toBe(401);
    const limited = await apiAs(bad, "nope");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await limited.json();
    expectErrorShape(body, "TooManyRequests");
    expect((body as { detail: string }).detail).toContain("bearer");
    expect((await apiAs(bad, OPERATOR_TOKEN)).status).toBe(429);
    expect((await apiAs(ip(), OPERATOR_TOKEN)).status).toBe(200);
  });

  it("repeated bad webhook secrets get 429 (not Helius's 403); Helius's right secret still works from any address", async () => {
    const bad = ip();
    for (let i = 1; i < EDGE_LIMITS.webhook.limit; i++) expect((await webhookAs(bad, `bad-${i}`)).status).toBe(403);
    const limited = await webhookAs(bad, "bad");
    expect(limited.status).toBe(429);
    expectErrorShape(await limited.json(), "TooManyRequests");
    // The right secret is checked first: deliveries never wait on or get blocked by the counter.
    expect((await webhookAs(bad, "test-helius-auth-header")).status).toBe(200);
  });
});

describe("logout revokes the session server-side", () => {
  it("a cookie kept from before the logout is refused afterwards", async () => {
    const cookie = await uiLogin();
    const page = await ui("GET", "/", { cookie });
    expect(page.status).toBe(200);
    const copy = cookie; // e.g. stolen before the logout: the browser's deletion does not help
    const out = await ui("POST", "/logout", { cookie, form: { _csrf: csrfOf(page.text) } });
    expect(out.status).toBe(303);
    const again = await ui("GET", "/", { cookie: copy });
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe("/login");
    // a new login works
    expect((await ui("GET", "/", { cookie: await uiLogin() })).status).toBe(200);
  });
});

describe("one address normalisation for the watchlist and the portfolio", () => {
  it("refuses surrounding whitespace on both, with the same message; the exact address works on both", async () => {
    const { api } = await import("./helpers/api");
    const { randomAddress } = await import("./helpers/addresses");
    for (const padded of [` ${randomAddress()}`, `${randomAddress()} `, `\t${randomAddress()}\n`]) {
      const watch = await api("POST", "/api/v1/wallets", { address: padded });
      const mine = await api("POST", "/api/wallets/", { address: padded });
      expect(watch.status).toBe(400);
      expect(mine.status).toBe(400);
      expectErrorShape(watch.body, "ValidationError");
      expectErrorShape(mine.body, "ValidationError");
      expect(watch.body.detail).toContain("address: must not have surrounding whitespace");
      expect(mine.body.detail).toContain("address: must not have surrounding whitespace");
    }
    const exact = randomAddress();
    expect((await api("POST", "/api/v1/wallets", { address: exact })).status).toBe(201);
    expect((await api("POST", "/api/wallets/", { address: exact })).status).toBe(201);
    expect((await api("GET", `/api/wallets/${encodeURIComponent(` ${exact}`)}`)).status).toBe(400);
  });
});
