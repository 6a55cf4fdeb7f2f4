import "../src/index"; // start-up: isSecureContext for @solana/kit key operations
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { LIVE_EXECUTION_WIRED, liveRefusals, liveSwitchRefusal } from "../src/domain/live-guard";
import worker from "../src/index";
import { collectStatus } from "../src/ops/status";
import { api, expectErrorShape } from "./helpers/api";
import { newSolanaSecretKey } from "./helpers/keys";

/** Issue 11 guardrails: the key's state in /status, and the master switch's refusal without a valid key. */
const KEY = await newSolanaSecretKey();

async function withKey(key: string, method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://walltrack.test${path}`, {
      method,
      headers: { authorization: "Bearer test-operator-token", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, WALLET_PRIVATE_KEY: key },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  if (key) expect(text).not.toContain(key);
  return { status: res.status, body: JSON.parse(text) };
}
const tradingWallet = async (key: string) =>
  (await collectStatus({ ...env, WALLET_PRIVATE_KEY: key })).components.find((c) => c.name === "trading_wallet");

afterEach(async () => {
  await env.DB.prepare("UPDATE config SET live_trading_enabled = 0 WHERE id = 1").run();
});

describe("live trading guardrails", () => {
  it("status shows the trading wallet derived from the key: missing / malformed with the reason (never the key) / ok", async () => {
    const missing = await tradingWallet("");
    expect(missing?.detail).toMatchObject({ key_state: "missing", address: null, live_switch: "off" });
    expect(missing?.reason).toMatch(/^missing: WALLET_PRIVATE_KEY is not configured/);

    for (const [bad, why] of [
      ["0OIl-not-base58", /not base58/],
      ["3yZe7d", /decodes to \d+ bytes/],
      [`${KEY.secret.slice(0, -2)}11`, /(public half does not match|decodes to)/],
    ] as const) {
      const tw = await tradingWallet(bad);
      expect(tw?.verdict).toBe("failing");
      expect(tw?.detail).toMatchObject({ key_state: "malformed", address: null });
      expect(tw?.reason).toMatch(why);
      expect(JSON.stringify(tw)).not.toContain(bad);
    }

    for (const form of [KEY.secret, KEY.seed]) {
      const ok = await tradingWallet(form);
      expect(ok?.verdict).toBe("ok");
      expect(ok?.detail).toMatchObject({ key_state: "ok", address: KEY.address, live_execution_wired: true });
      expect(JSON.stringify(ok)).not.toContain(form);
    }
    // Through the API too.
    const viaApi = await withKey(KEY.secret, "GET", "/api/v1/status");
    const tw = viaApi.body.components.find((c: { name: string }) => c.name === "trading_wallet");
    expect(tw.detail.address).toBe(KEY.address);
  });

  it("live_trading_enabled defaults to false; turning it on needs a valid key (422 naming why, PUT and PATCH)", async () => {
    expect(LIVE_EXECUTION_WIRED).toBe(true);
    const cfg = (await api("GET", "/api/v1/config")).body;
    expect(cfg.live_trading_enabled).toBe(false);
    const missing = await withKey("", "PATCH", "/api/v1/config", { live_trading_enabled: true });
    expect(missing.status).toBe(422);
    expectErrorShape(missing.body, "RuleRefused");
    expect(missing.body.detail).toBe("live_trading_enabled: WALLET_PRIVATE_KEY is not configured");
    const malformed = await withKey("0OIl-not-base58", "PATCH", "/api/v1/config", { live_trading_enabled: true });
    expect(malformed.status).toBe(422);
    expect(malformed.body.detail).toMatch(/^live_trading_enabled: .*not base58/);
    const {
      helius_webhook_id,
      helius_last_sync_at,
      helius_last_sync_status,
      helius_last_sync_error,
      updated_at,
      ...editable
    } = cfg;
    const put = await withKey("", "PUT", "/api/v1/config", { ...editable, live_trading_enabled: true });
    expect(put.status).toBe(422);
    // nothing was written, no history row
    expect((await api("GET", "/api/v1/config")).body.live_trading_enabled).toBe(false);
    const hist = await env.DB.prepare("SELECT new_values FROM config_history").all<{ new_values: string }>();
    expect(hist.results.some((h) => JSON.parse(h.new_values).live_trading_enabled === true)).toBe(false);
    // with a valid key the switch turns on, and the status says so
    const on = await withKey(KEY.secret, "PATCH", "/api/v1/config", { live_trading_enabled: true });
    expect(on.status).toBe(200);
    expect(on.body.live_trading_enabled).toBe(true);
    expect((await tradingWallet(KEY.secret))?.detail).toMatchObject({ live_switch: "on", live_execution_wired: true });
    // turning it off is always accepted
    expect((await api("PATCH", "/api/v1/config", { live_trading_enabled: false })).status).toBe(200);
  });

  it("a config import cannot turn the switch on without a valid key either", async () => {
    const doc = (await api("GET", "/api/v1/config/export")).body;
    expect(doc.config.live_trading_enabled).toBe(false);
    const r = await withKey("", "POST", "/api/v1/config/import", {
      ...doc,
      config: { ...doc.config, live_trading_enabled: true },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.detail).toContain("WALLET_PRIVATE_KEY is not configured");
    expect((await api("GET", "/api/v1/config")).body.live_trading_enabled).toBe(false);
  });

  it("live config keys are range-checked (400 naming the field) and slippage_bps never above max_slippage_bps", async () => {
    for (const [body, field] of [
      [{ max_slippage_bps: 0 }, "max_slippage_bps"],
      [{ max_slippage_bps: 5001 }, "max_slippage_bps"],
      [{ priority_fee_mode: "turbo" }, "priority_fee_mode"],
      [{ priority_fee_lamports: -1 }, "priority_fee_lamports"],
      [{ priority_fee_max_lamports: 1e9 }, "priority_fee_max_lamports"],
      [{ skip_preflight: "yes" }, "skip_preflight"],
      [{ sol_fee_reserve: -0.1 }, "sol_fee_reserve"],
      [{ slippage_bps: 2000, max_slippage_bps: 1000 }, "slippage_bps"],
    ] as const) {
      const r = await api("PATCH", "/api/v1/config", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(r.body, "ValidationError");
      expect(r.body.detail).toContain(field);
    }
    const ok = await api("PATCH", "/api/v1/config", {
      priority_fee_mode: "fixed",
      priority_fee_lamports: 50_000,
      skip_preflight: true,
      sol_fee_reserve: 0.1,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ priority_fee_mode: "fixed", priority_fee_lamports: 50_000, skip_preflight: true });
  });

  it("pure rules: each refusal names what is missing; the switch refuses on a missing or malformed key once wired", () => {
    expect(liveRefusals({ key: { state: "ok" }, switch_on: true })).toEqual([]);
    expect(liveRefusals({ key: { state: "missing" }, switch_on: true })[0]).toMatch(/WALLET_PRIVATE_KEY/);
    expect(liveRefusals({ key: { state: "malformed", problem: "P" }, switch_on: false })).toEqual([
      "mode: live trading needs a valid key: P",
      "mode: live trading is switched off (config live_trading_enabled is false)",
    ]);
    expect(liveSwitchRefusal(false, true, { state: "ok" }, true)).toBeNull();
    expect(liveSwitchRefusal(false, true, { state: "missing" }, true)).toMatch(/not configured/);
    expect(liveSwitchRefusal(false, true, { state: "malformed", problem: "P" }, true)).toBe("live_trading_enabled: P");
    expect(liveSwitchRefusal(true, false, { state: "missing" }, false)).toBeNull();
  });
});
