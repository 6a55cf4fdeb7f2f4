import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { summarizeRun } from "../src/domain/reconciliation-summary";
import worker from "../src/index";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { newSolanaSecretKey } from "./helpers/keys";
import { UI_BASE, uiLogin } from "./helpers/ui";

/**
 * The Health page's trading-wallet panel (issue 11) and the last reconciliation run (status and page).
 * Not base58 (0, O, I, l, '-' and '_' are outside its alphabet): an obviously fake key that must never show.
 */
const MALFORMED_MARKER = "NOT-A-KEY_0OIl_health-panel-marker";

/** The Health page as the worker renders it under another WALLET_PRIVATE_KEY (same D1, same session). */
async function healthWith(key: string | undefined) {
  const cookie = await uiLogin();
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${UI_BASE}/status`, { headers: { cookie } }),
    { ...env, WALLET_PRIVATE_KEY: key } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  const html = await res.text();
  const m = /<div id="trading-wallet"[\s\S]*?<\/div>/.exec(html);
  if (!m) throw new Error("no trading-wallet panel");
  return { html, panel: m[0] };
}

const setSwitch = (on: boolean) =>
  env.DB.prepare("UPDATE config SET live_trading_enabled = ? WHERE id = 1")
    .bind(on ? 1 : 0)
    .run();

describe("Health page: trading wallet panel", () => {
  it("a malformed key shows its reason in words and the raw key text never appears", async () => {
    const { html, panel } = await healthWith(MALFORMED_MARKER);
    expect(panel).toContain('data-key-state="malformed"');
    expect(panel).toContain(">malformed</b>");
    expect(panel).toContain("is not a base58 Solana secret key");
    expect(panel).toContain("not base58");
    expect(panel).toContain("none (no usable key)");
    expect(html).not.toContain(MALFORMED_MARKER);
    expect(html).not.toContain("health-panel-marker");
  });

  it("without a key it says absent and why; the switch and an empty live list are shown", async () => {
    await setSwitch(false);
    const { panel } = await healthWith(undefined);
    expect(panel).toContain('data-key-state="missing"');
    expect(panel).toContain(">absent</b>");
    expect(panel).toContain("WALLET_PRIVATE_KEY is not configured");
    expect(panel).toContain('live_trading_enabled): <b id="live-switch">off</b>');
  });

  it("a valid key shows the derived public key (never the key), its SOL balance, the switch and the live wallets", async () => {
    const key = await newSolanaSecretKey();
    const leader = randomAddress();
    await env.DB.prepare("DELETE FROM wallets WHERE mode = 'live'").run();
    await env.DB.prepare("INSERT INTO wallets (address, label, mode) VALUES (?1, 'live-leader-1', 'live')")
      .bind(leader)
      .run();
    await env.DB.prepare(
      "INSERT OR REPLACE INTO wallet_info (address, label, wallet_type, last_balance_sol, balance_refreshed_at) VALUES (?1, 'trading', 'trading', 2.5, ?2)",
    )
      .bind(key.address, new Date().toISOString())
      .run();
    await setSwitch(true);
    try {
      const { html, panel } = await healthWith(key.secret);
      expect(panel).toContain('data-key-state="ok"');
      expect(panel).toContain(">valid</b>");
      expect(panel).toContain(`<code id="trading-address">${key.address}</code>`);
      expect(panel).toContain('<b id="live-switch">on</b>');
      expect(panel).toContain("2.500 SOL");
      expect(panel).toContain(`data-live-wallet="${leader}"`);
      expect(panel).toContain("live-leader-1");
      expect(panel).toContain("Wallets in live mode (1)");
      expect(html).not.toContain(key.secret);
      expect(html).not.toContain(key.seed);
    } finally {
      await setSwitch(false);
      await env.DB.prepare("DELETE FROM wallets WHERE address = ?1").bind(leader).run();
    }
  });
});

describe("last reconciliation run in the status and on the Health page", () => {
  it("before any run: null in the status, said so on the page", async () => {
    await env.DB.batch([
      env.DB.prepare("DELETE FROM reconciliation_findings"),
      env.DB.prepare("DELETE FROM reconciliation_runs"),
    ]);
    const status = await api("GET", "/api/v1/status");
    expect(status.status).toBe(200);
    expect(status.body.reconciliation).toBeNull();
    const { html } = await healthWith(undefined);
    expect(html).toContain("No reconciliation run yet");
  });

  it("summarises the latest run: when, findings by severity and kind, the route to them", async () => {
    await env.DB.batch([
      env.DB.prepare("DELETE FROM reconciliation_findings"),
      env.DB.prepare("DELETE FROM reconciliation_runs"),
    ]);
    const older = await env.DB.prepare(
      "INSERT INTO reconciliation_runs (trigger, status, findings, started_at, finished_at) VALUES ('cron', 'ok', 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:05.000Z') RETURNING id",
    ).first<{ id: number }>();
    const started = new Date(Date.now() - 60_000).toISOString();
    const finished = new Date(Date.now() - 55_000).toISOString();
    const latest = await env.DB.prepare(
      "INSERT INTO reconciliation_runs (trigger, status, holdings_checked, positions_checked, findings, started_at, finished_at) VALUES ('api', 'ok', 1, 4, 3, ?1, ?2) RETURNING id",
    )
      .bind(started, finished)
      .first<{ id: number }>();
    const id = latest?.id as number;
    expect(id).toBeGreaterThan(older?.id as number);
    for (const [kind, i] of [
      ["position_without_holding", 1],
      ["pnl_mismatch", 2],
      ["pnl_mismatch", 3],
    ] as const)
      await env.DB.prepare(
        "INSERT INTO reconciliation_findings (run_id, kind, subject, message) VALUES (?1, ?2, ?3, 'x')",
      )
        .bind(id, kind, `${kind}:panel-${i}`)
        .run();

    const status = await api("GET", "/api/v1/status");
    expect(status.body.reconciliation).toMatchObject({
      run_id: id,
      trigger: "api",
      status: "ok",
      started_at: started,
      finished_at: finished,
      findings: 3,
      by_severity: { critical: 1, warning: 2 },
      by_kind: { position_without_holding: 1, pnl_mismatch: 2, holding_without_position: 0, amount_mismatch: 0 },
      holdings_checked: true,
      route: `/api/v1/reconciliation?run_id=${id}`,
    });
    expect(status.body.reconciliation.summary).toBe(
      "3 finding(s): 1 critical, 2 warning; 4 position(s) checked; holdings compared",
    );
    // The route it names answers with that run.
    const full = await api("GET", status.body.reconciliation.route);
    expect(full.status).toBe(200);
    expect(full.body.run.id).toBe(id);
    expect(full.body.total).toBe(3);

    const { html } = await healthWith(undefined);
    const m = /<div id="reconciliation"[\s\S]*?<\/div>/.exec(html);
    expect(m).not.toBeNull();
    const panel = m?.[0] ?? "";
    expect(panel).toContain(`data-run="${id}"`);
    expect(panel).toContain(`Last run #${id} (api)`);
    expect(panel).toMatch(/<b data-severity="critical">1<\/b> critical/);
    expect(panel).toMatch(/<b data-severity="warning">2<\/b> warning/);
    expect(panel).toMatch(/pnl mismatch:<\/span> 2/);
    expect(panel).not.toContain("amount mismatch"); // kinds it did not find are left out
    expect(panel).toContain(`GET /api/v1/reconciliation?run_id=${id}`);
    expect(panel).toContain('href="/alerts"');
  });

  it("a failed or skipped-holdings run says so in words", () => {
    const base = {
      id: 7,
      trigger: "cron",
      started_at: "2026-01-01T00:00:00.000Z",
      finished_at: "2026-01-01T00:00:01.000Z",
      positions_checked: 2,
      positions_closed: 0,
    };
    expect(
      summarizeRun(
        { ...base, status: "error", error: "D1 down", holdings_checked: false, holdings_skip_reason: null },
        {},
      ).summary,
    ).toBe("failed: D1 down");
    const skipped = summarizeRun(
      {
        ...base,
        status: "ok",
        error: null,
        holdings_checked: false,
        holdings_skip_reason: "WALLET_PRIVATE_KEY is not configured",
      },
      { holding_without_position: 1, amount_mismatch: 2 },
    );
    expect(skipped.by_severity).toEqual({ critical: 2, warning: 1 });
    expect(skipped.summary).toBe(
      "3 finding(s): 2 critical, 1 warning; 2 position(s) checked; holdings not compared (WALLET_PRIVATE_KEY is not configured)",
    );
  });
});
