import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { mint } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";
import { quiesceActors } from "./helpers/quiesce";
import { csrfOf, ui, uiLogin } from "./helpers/ui";

/** Issue 13: the Portfolio, Health and Alerts pages and their buttons. */
async function session(page: string) {
  const cookie = await uiLogin();
  const res = await ui("GET", page, { cookie });
  return { cookie, csrf: csrfOf(res.text), html: res.text };
}

/** The <tr> of one wallet in the portfolio table. */
const rowOf = (html: string, address: string) => {
  const m = new RegExp(`<tr data-wallet="${address}">[\\s\\S]*?</tr>`).exec(html);
  if (!m) throw new Error(`no row for ${address}`);
  return m[0];
};

describe("portfolio page", () => {
  it("shows each operator wallet with balance, FUNDED status, holdings and a stale cache until refreshed", async () => {
    await fake.reset();
    const address = randomAddress();
    expect((await api("POST", "/api/wallets/", { address, label: "launcher-1" })).status).toBe(201);
    const { cookie, csrf, html } = await session("/portfolio");
    const before = rowOf(html, address);
    expect(before).toContain("launcher-1");
    expect(before).toContain('data-freshness="stale"');
    expect(before).toContain("never refreshed");
    expect(before).toContain("UNFUNDED");

    await fake.wallet({ address, lamports: 2_000_000_000 });
    const res = await ui("POST", `/portfolio/${address}/refresh`, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/portfolio?flash=portfolio_refreshed");
    const after = await ui("GET", "/portfolio?flash=portfolio_refreshed", { cookie });
    expect(after.text).toContain("Wallet refreshed");
    const row = rowOf(after.text, address);
    expect(row).toContain('data-freshness="fresh"');
    expect(row).toContain("<b>FUNDED</b>");
    expect(row).toContain("2.000 SOL");
    const audit = await env.DB.prepare(
      "SELECT outcome_status FROM audit_log WHERE action = 'portfolio.refresh' AND subject = ?",
    )
      .bind(address)
      .first<{ outcome_status: number }>();
    expect(audit?.outcome_status).toBe(200);
  });

  it("shows a part that failed with its reason next to the parts that refreshed (207), cached data kept", async () => {
    await fake.reset();
    const address = randomAddress();
    await api("POST", "/api/wallets/", { address });
    await fake.wallet({ address, lamports: 1_000_000_000 });
    await fake.fail("rpc.getBalance", { status: 500 });
    const { cookie, csrf } = await session("/portfolio");
    const res = await ui("POST", `/portfolio/${address}/refresh`, { cookie, form: { _csrf: csrf } });
    expect(res.headers.get("location")).toBe("/portfolio?flash=portfolio_refresh_partial");
    const row = rowOf((await ui("GET", "/portfolio", { cookie })).text, address);
    expect(row).toMatch(/failed: Could not refresh/);
    await fake.reset();
  });

  it("refresh all answers with its summary and the run is shown; an unknown wallet is a flash, not a crash", async () => {
    await fake.reset();
    const { cookie, csrf } = await session("/portfolio");
    const all = await ui("POST", "/portfolio/refresh-all", { cookie, form: { _csrf: csrf } });
    expect(all.status).toBe(303);
    expect(all.headers.get("location")).toMatch(/flash=portfolio_refresh_all_(done|partial|running)/);
    const page = await ui("GET", "/portfolio", { cookie });
    expect(page.text).toMatch(/Last refresh-all: <b>(done|running)/);
    const unknown = await ui("POST", `/portfolio/${randomAddress()}/refresh`, { cookie, form: { _csrf: csrf } });
    expect(unknown.headers.get("location")).toBe("/portfolio?flash=portfolio_wallet_not_found");
    const bad = await ui("POST", "/portfolio/not-an-address/refresh", { cookie, form: { _csrf: csrf } });
    expect(bad.headers.get("location")).toBe("/portfolio?flash=portfolio_wallet_not_found");
  });

  it("a refresh without the CSRF token is refused", async () => {
    const cookie = await uiLogin();
    const res = await ui("POST", "/portfolio/refresh-all", { cookie, form: {} });
    expect(res.status).toBe(403);
  });
});

describe("health page", () => {
  const deadLetter = async (orderId: string, request: Record<string, unknown>) =>
    runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
      state.storage.sql.exec(
        "INSERT OR REPLACE INTO dead_letters (order_id, idempotency_key, request, attempts, last_error, died_at) VALUES (?, ?, ?, 3, 'HTTP 500 from the swap API', ?)",
        orderId,
        String(request.idempotency_key),
        JSON.stringify(request),
        new Date().toISOString(),
      );
    });

  it("shows cron heartbeats, webhook, upstreams with readable fields (not JSON) and auto-refreshes", async () => {
    const { html } = await session("/status");
    expect(html).toContain('hx-get="/partials/status"');
    expect(html).toContain('hx-trigger="every 10s"');
    expect(html).toContain("Cron heartbeats");
    expect(html).toContain('data-component="webhook"');
    expect(html).toContain('data-component="upstream:jupiter"');
    expect(html).toContain("swap rate limit:");
    // No raw JSON in the page body (the htmx config in <head> is the one JSON text).
    expect(html.slice(html.indexOf("<main>"))).not.toMatch(/\{&quot;|\{"/);
    const cookie = await uiLogin();
    const partial = await ui("GET", "/partials/status", { cookie });
    expect(partial.status).toBe(200);
    expect(partial.text).toContain("Swap queue");
    expect(partial.text).not.toContain("<nav");
  });

  it("a dead letter is discarded with its button (the order stays dead) and the API refuses a second discard", async () => {
    const orderId = `ord_dead_${crypto.randomUUID()}`;
    await deadLetter(orderId, { idempotency_key: `entry:${orderId}`, side: "buy", position_id: null });
    const { cookie, csrf, html } = await session("/status");
    expect(html).toContain(`data-dead-letter="${orderId}"`);
    const retry = await ui("POST", `/status/dead-letters/${orderId}/retry`, { cookie, form: { _csrf: csrf } });
    expect(retry.headers.get("location")).toBe("/status?flash=dead_letter_not_retried");
    const res = await ui("POST", `/status/dead-letters/${orderId}/discard`, { cookie, form: { _csrf: csrf } });
    expect(res.headers.get("location")).toBe("/status?flash=dead_letter_discarded");
    expect((await ui("GET", "/status", { cookie })).text).not.toContain(`data-dead-letter="${orderId}"`);
    const again = await api("POST", `/api/v1/swap-queue/dead-letters/${orderId}/discard`);
    expect(again.status).toBe(404);
    expect(again.body.error).toBe("NotFound");
    const audit = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE subject = ?")
      .bind(orderId)
      .first<{ n: number }>();
    expect(audit?.n).toBe(2);
  });

  it("a dead SELL is retried as a new exit of its position, once however often it is retried", async () => {
    const { id } = await openPosition(mint("RETRY"), { entry_price_usd: 1 });
    const orderId = `ord_dead_${crypto.randomUUID()}`;
    await deadLetter(orderId, {
      idempotency_key: `${id}:manual:1`,
      side: "sell",
      position_id: id,
      sell_fraction: 0.5,
    });
    const first = await api("POST", `/api/v1/swap-queue/dead-letters/${orderId}/retry`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ order_id: orderId, position_id: id, percent: 50, replayed: false });
    expect(first.body.retried_as).toEqual(expect.any(String));
    // Listed no more; a retry repeated (a lost answer) is a 404, never a second exit.
    expect((await api("POST", `/api/v1/swap-queue/dead-letters/${orderId}/retry`)).status).toBe(404);
    const sells = (await ordersOf(id)).filter((o) => o.side === "sell");
    expect(sells.map((o) => o.id)).toEqual([first.body.retried_as]);
  });

  it("a parked inbox row is listed with its error and requeued from the page (audited); then it is not dead", async () => {
    const wallet = randomAddress();
    expect((await api("POST", "/api/v1/wallets", { address: wallet, label: "parked" })).status).toBe(201);
    const signature = "5".repeat(64);
    // The state the WalletActor leaves after MAX_INBOX_ATTEMPTS: the row dead, its signal invalid_transaction.
    await runInDurableObject(env.WALLET_ACTOR.getByName(wallet), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO inbox (signature, payload, received_at_ms, wallet_active, state, signal_type, attempts, next_attempt_ms, last_error) VALUES (?, '{}', ?, 1, 'dead', 'other', 5, 0, 'Invalid time value')",
        signature,
        Date.now(),
      );
    });
    await env.DB.prepare(
      "INSERT INTO signals (transaction_signature, wallet_address, signal_type, webhook_received_at, raw_payload, filtered, filter_reason) VALUES (?, ?, 'other', ?, '{}', 1, 'invalid_transaction')",
    )
      .bind(signature, wallet, new Date().toISOString())
      .run();
    const { cookie, csrf, html } = await session("/status");
    expect(html).toContain(`data-inbox="${signature}"`);
    expect(html).toContain("Invalid time value");
    const res = await ui("POST", `/status/inbox/${wallet}/${signature}/requeue`, { cookie, form: { _csrf: csrf } });
    expect(res.headers.get("location")).toBe("/status?flash=inbox_requeued");
    const row = (await env.WALLET_ACTOR.getByName(wallet).inbox()).find((r) => r.signature === signature);
    expect(row?.state).not.toBe("dead");
    const again = await ui("POST", `/status/inbox/${wallet}/${signature}/requeue`, { cookie, form: { _csrf: csrf } });
    expect(again.headers.get("location")).toBe("/status?flash=inbox_not_dead");
    const audit = await env.DB.prepare("SELECT outcome_status FROM audit_log WHERE subject = ? ORDER BY id")
      .bind(`${wallet}:${signature}`)
      .first<{ outcome_status: number }>();
    expect(audit?.outcome_status).toBe(200);
  });

  it("an unknown inbox row is a flash, not a crash", async () => {
    const { cookie, csrf } = await session("/status");
    const wallet = randomAddress();
    const res = await ui("POST", `/status/inbox/${wallet}/${"1".repeat(64)}/requeue`, {
      cookie,
      form: { _csrf: csrf },
    });
    expect(res.headers.get("location")).toBe("/status?flash=inbox_not_found");
  });
});

describe("alerts page", () => {
  const insertAlert = async (kind: string) =>
    (
      await env.DB.prepare(
        "INSERT INTO alerts (kind, subject, severity, message, detail, status, count, first_seen_at, last_seen_at) VALUES (?, 'webhook', 'warning', 'No webhook delivery for 30 min', ?, 'open', 2, ?, ?) RETURNING id",
      )
        .bind(
          kind,
          JSON.stringify({ silence_minutes: 30, watched_wallets: 4 }),
          new Date().toISOString(),
          new Date().toISOString(),
        )
        .first<{ id: number }>()
    )?.id as number;

  it("lists an open alert with its details in words, acknowledges then resolves it (audited)", async () => {
    const id = await insertAlert("webhook_silent");
    const { cookie, csrf, html } = await session("/alerts");
    expect(html).toContain('hx-get="/partials/alerts"');
    expect(html).toContain(`data-alert="${id}"`);
    expect(html).toContain("silence minutes:");
    expect(html).toContain(`action="/alerts/${id}/ack"`);
    const ack = await ui("POST", `/alerts/${id}/ack`, { cookie, form: { _csrf: csrf } });
    expect(ack.headers.get("location")).toBe("/alerts?flash=alert_acknowledged");
    const again = await ui("POST", `/alerts/${id}/ack`, { cookie, form: { _csrf: csrf } });
    expect(again.headers.get("location")).toBe("/alerts?flash=alert_conflict");
    const res = await ui("POST", `/alerts/${id}/resolve`, { cookie, form: { _csrf: csrf } });
    expect(res.headers.get("location")).toBe("/alerts?flash=alert_resolved");
    const row = await env.DB.prepare("SELECT status, acknowledged_by FROM alerts WHERE id = ?").bind(id).first();
    expect(row).toMatchObject({ status: "resolved" });
    expect(String(row?.acknowledged_by)).toMatch(/^session:\d+$/);
    const audits = await env.DB.prepare("SELECT action, outcome_status FROM audit_log WHERE subject = ? ORDER BY id")
      .bind(String(id))
      .all();
    expect(audits.results.map((a) => `${a.action} ${a.outcome_status}`)).toEqual([
      "alert.ack 200",
      "alert.ack 409",
      "alert.resolve 200",
    ]);
    const unknown = await ui("POST", "/alerts/999999/resolve", { cookie, form: { _csrf: csrf } });
    expect(unknown.headers.get("location")).toBe("/alerts?flash=alert_not_found");
  });
});

afterAll(quiesceActors);

describe("jobs' details", () => {
  it("the overview and the health page show a job's detail as readable fields, not JSON", async () => {
    const now = new Date().toISOString();
    await env.DB.prepare(
      "INSERT INTO job_runs (job, cron, status, detail, started_at, finished_at) VALUES ('helius_sync', '*/5 * * * *', 'ok', ?, ?, ?)",
    )
      .bind(JSON.stringify({ wallets_synced: 7, webhook: { created: false, address_count: 7 } }), now, now)
      .run();
    for (const path of ["/", "/status"]) {
      const { html } = await session(path);
      const main = html.slice(html.indexOf("<main>"));
      expect(main, path).toContain("wallets synced:");
      expect(main, path).toContain("webhook.address count:");
      expect(main, path).not.toContain("&quot;wallets_synced&quot;");
    }
  });
});
