import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { raiseAlert } from "../src/db/alerts";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { nextAttemptDelayMs } from "../src/domain/notifications";
import worker from "../src/index";
import { deliverNotifications, enqueueOwedEvents } from "../src/jobs/notifications";
import { api, expectErrorShape } from "./helpers/api";
import { mint } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1 } from "./helpers/faults";
import { openPosition } from "./helpers/positions";

const BOT_TOKEN = env.TELEGRAM_BOT_TOKEN as string;
const HOOK_SECRET = env.NOTIFY_WEBHOOK_SECRET as string;
const HOOK_URL = "http://fake.upstream/notify/webhook";

const notificationRows = async () =>
  (await env.DB.prepare("SELECT * FROM notifications ORDER BY id").all<any>()).results;
const channelsOn = () =>
  env.DB.prepare(
    "UPDATE config SET telegram_chat_id = '12345', notify_webhook_url = ?, notify_min_severity = 'warning'",
  )
    .bind(HOOK_URL)
    .run();

/** The receiver's check, written from the README: HMAC-SHA256(secret, `${timestamp}.${raw body}`), hex. */
async function expectedSignature(secret: string, timestamp: string, raw: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${raw}`));
  return `sha256=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

beforeEach(async () => {
  await fake.reset();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM notifications"),
    env.DB.prepare("DELETE FROM alerts"),
    env.DB.prepare("DELETE FROM orders"),
    env.DB.prepare("DELETE FROM positions"),
    env.DB.prepare(
      "UPDATE config SET telegram_chat_id = NULL, notify_webhook_url = NULL, notify_trade_events = 1, notify_daily_summary = 0",
    ),
  ]);
});

describe("notifications: alerts pushed to Telegram and a signed webhook", () => {
  it("an alert at or above the minimum severity is queued with it and delivered once to each channel, signed", async () => {
    await channelsOn();
    const created = await raiseAlert(env.DB, {
      kind: "webhook_silent",
      subject: "helius",
      message: "no delivery for 2 days",
    });
    // Below the minimum severity (info < warning): stored, not pushed.
    await raiseAlert(env.DB, { kind: "wallet_no_signal", subject: "W1", message: "quiet" });
    // A repeat of the same alert bumps its count and queues nothing more.
    await raiseAlert(env.DB, { kind: "webhook_silent", subject: "helius", message: "still silent" });
    let rows = await notificationRows();
    expect(rows.map((r) => [r.channel, r.event_key, r.status])).toEqual([
      ["telegram", `alert:${created?.id}`, "pending"],
      ["webhook", `alert:${created?.id}`, "pending"],
    ]);

    const run = await deliverNotifications(env);
    expect(run).toMatchObject({ claimed: 2, delivered: 2, failed: {} });
    rows = await notificationRows();
    for (const r of rows) {
      expect(r).toMatchObject({ status: "delivered", attempts: 1, last_error: null });
      expect(r.delivered_at).toBeTruthy();
    }

    const got = await fake.notifications();
    const tg = got.filter((n) => n.route === "telegram.sendMessage");
    expect(tg).toHaveLength(1);
    expect(tg[0]?.token).toBe(BOT_TOKEN);
    const tgBody = JSON.parse(tg[0]?.raw ?? "{}");
    expect(tgBody.chat_id).toBe("12345");
    expect(tgBody.text).toContain("[CRITICAL] webhook_silent · helius");

    const hooks = got.filter((n) => n.route === "notify.webhook");
    expect(hooks).toHaveLength(1);
    const hook = hooks[0] as (typeof hooks)[number];
    const ts = hook.headers["x-walltrack-timestamp"] as string;
    expect(hook.headers["x-walltrack-signature"]).toBe(await expectedSignature(HOOK_SECRET, ts, hook.raw));
    // A signature made with another secret, or over another body, does not match.
    expect(hook.headers["x-walltrack-signature"]).not.toBe(await expectedSignature("other-secret", ts, hook.raw));
    expect(hook.headers["x-walltrack-signature"]).not.toBe(await expectedSignature(HOOK_SECRET, ts, `${hook.raw} `));
    expect(hook.headers["x-walltrack-delivery"]).toBe(String(rows.find((r) => r.channel === "webhook")?.id));
    expect(JSON.parse(hook.raw)).toMatchObject({
      event: "alert",
      event_key: `alert:${created?.id}`,
      data: { kind: "webhook_silent", subject: "helius", severity: "critical" },
    });

    // Nothing is sent twice once delivered.
    expect(await deliverNotifications(env, Date.now() + 3_600_000)).toMatchObject({ claimed: 0 });
    expect(await fake.notifications()).toHaveLength(2);

    const listed = await api("GET", "/api/v1/notifications?channel=webhook");
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ kind: "alert", status: "delivered", attempts: 1 });
    expect(listed.body.items[0].payload).toMatchObject({ kind: "webhook_silent" });
  });

  it("a webhook failing twice is retried with backoff, raises notification_failing, then delivers and resolves it", async () => {
    await channelsOn();
    // Failing until cleared: the notification_failing alert's own webhook copy fails too.
    await fake.fail("notify.webhook", { status: 503 });
    const t0 = Date.now();
    await raiseAlert(env.DB, { kind: "dead_letter", subject: "ord_1", message: "dead" }, t0);

    const first = await deliverNotifications(env, t0);
    expect(first.delivered).toBe(1); // Telegram went through; the failing webhook never held it back
    expect(first.failed.webhook).toMatch(/HTTP 503/);
    let hook = (await notificationRows()).find((r) => r.channel === "webhook" && r.event_key.startsWith("alert:"));
    expect(hook).toMatchObject({ status: "pending", attempts: 1 });
    expect(hook.last_error).toMatch(/webhook: POST answered HTTP 503/);
    expect(Date.parse(hook.next_attempt_at) - t0).toBeGreaterThanOrEqual(nextAttemptDelayMs(1));

    const failing = (await env.DB.prepare("SELECT * FROM alerts WHERE kind = 'notification_failing'").all<any>())
      .results;
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ subject: "webhook", status: "open" });

    // Not due yet: no second request for it.
    const requestsFor = async (id: number) =>
      (await fake.notifications()).filter(
        (n) => n.route === "notify.webhook" && n.headers["x-walltrack-delivery"] === String(id),
      );
    await deliverNotifications(env, t0 + 1000);
    expect(await requestsFor(hook.id)).toHaveLength(1);

    // Second attempt after the first backoff fails again; the delay doubles.
    const t1 = t0 + nextAttemptDelayMs(1) + 1000;
    await deliverNotifications(env, t1);
    hook = (await notificationRows()).find((r) => r.id === hook.id);
    expect(hook).toMatchObject({ status: "pending", attempts: 2 });
    expect(Date.parse(hook.next_attempt_at) - t1).toBeGreaterThanOrEqual(nextAttemptDelayMs(2));
    expect(nextAttemptDelayMs(2)).toBe(2 * nextAttemptDelayMs(1));

    // Third attempt: the receiver is back.
    await fake.clearFailure("notify.webhook");
    await deliverNotifications(env, t1 + nextAttemptDelayMs(2) + 1000);
    hook = (await notificationRows()).find((r) => r.id === hook.id);
    expect(hook).toMatchObject({ status: "delivered", attempts: 3 });
    const resolved = await env.DB.prepare(
      "SELECT status, resolved_by FROM alerts WHERE kind = 'notification_failing'",
    ).first();
    expect(resolved).toEqual({ status: "resolved", resolved_by: "notifier" });
    // The receiver saw the same delivery id three times (at least once; it can drop duplicates by id).
    expect((await requestsFor(hook.id)).map((n) => n.accepted)).toEqual([false, false, true]);
  });

  it("a Telegram 429 waits at least its retry_after; a hung Telegram never holds back an alert or a position", async () => {
    await env.DB.prepare("UPDATE config SET telegram_chat_id = '12345'").run();
    await fake.fail("telegram.sendMessage", { status: 429, times: 1 });
    const t0 = Date.now();
    await raiseAlert(env.DB, { kind: "breaker_tripped", subject: "event:test-429", message: "tripped" }, t0);
    const r = await deliverNotifications(env, t0);
    expect(r.failed.telegram).toMatch(/HTTP 429: Too Many Requests/);
    const row = (await notificationRows()).find((n) => n.event_key.startsWith("alert:"));
    expect(Date.parse(row.next_attempt_at) - t0).toBeGreaterThanOrEqual(Math.max(7_000, nextAttemptDelayMs(1)));

    // Hold Telegram: a delivery run is stuck in the channel, and meanwhile trading and alerting go on.
    await fake.hold("telegram.sendMessage");
    const stuck = deliverNotifications(env, t0 + 3_600_000);
    for (let i = 0; i < 200 && (await fake.held("telegram.sendMessage")) === 0; i++) await scheduler.wait(5);
    expect(await fake.held("telegram.sendMessage")).toBe(1);
    const pos = await openPosition(mint("notify71"));
    expect((await pos.actor.summary())?.poll_mode).toBeTruthy();
    const raised = await raiseAlert(env.DB, { kind: "breaker_reset", subject: "event:test-hold", message: "reset" });
    expect(raised?.created).toBe(true);
    // The held call runs into the client's timeout (the fake never answers while held): recorded as a failure
    // and retried later, like any other. Released only afterwards, so the outcome never depends on speed.
    const held = await stuck;
    await fake.release("telegram.sendMessage");
    expect(held.failed.telegram).toMatch(/timed out/);
    expect((await deliverNotifications(env, t0 + 7_200_000)).delivered).toBeGreaterThanOrEqual(1);
  });

  it("a lost outcome write (the send went out, the row was not updated) is sent again after its lease: at least once", async () => {
    await channelsOn();
    await raiseAlert(env.DB, { kind: "sync_error", subject: "helius", message: "sync failed" });
    const flaky = faultyD1(env.DB, { match: /SET status = 'delivered'/ });
    const t0 = Date.now();
    await expect(deliverNotifications({ ...env, DB: flaky.binding }, t0)).rejects.toThrow(/injected D1 fault/);
    // Leased, not delivered: an overlapping run at the same time leaves it alone.
    expect(await deliverNotifications(env, t0)).toMatchObject({ claimed: 0 });
    const later = await deliverNotifications(env, t0 + 10 * 60_000);
    expect(later.claimed).toBeGreaterThanOrEqual(1);
    const rows = await notificationRows();
    expect(rows.every((r) => r.status === "delivered")).toBe(true);
    const tg = (await fake.notifications()).filter((n) => n.route === "telegram.sendMessage");
    expect(tg.length).toBe(2); // the first send, then the re-send of the row whose outcome was lost
  });
});

describe("notifications: trade events and the daily summary", () => {
  const insertPosition = (id: string, o: { status: string; opened_at: string; closed_at?: string; pnl?: number }) =>
    env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status, entry_price_usd,
         entry_amount, entry_cost_usd, current_amount, realized_pnl_usd, total_pnl_usd, pnl_percent, exit_proceeds_usd,
         exit_reason, opened_at, closed_at)
       VALUES (?1, 'LeaderAddr', 'MintAddr', 6, 'simulation', ?2, 0.5, '1000', 50, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9)`,
    )
      .bind(
        id,
        o.status,
        o.status === "closed" ? "0" : "1000",
        o.pnl ?? 0,
        ((o.pnl ?? 0) / 50) * 100,
        o.status === "closed" ? 50 + (o.pnl ?? 0) : 0,
        o.status === "closed" ? "stop_loss" : null,
        o.opened_at,
        o.closed_at ?? null,
      )
      .run();

  it("an entry and an exit with its PnL are queued once per channel however often the sweep runs", async () => {
    await channelsOn();
    const now = Date.now();
    await insertPosition("pos_open", { status: "open", opened_at: new Date(now - 60_000).toISOString() });
    await insertPosition("pos_closed", {
      status: "closed",
      opened_at: new Date(now - 120_000).toISOString(),
      closed_at: new Date(now - 30_000).toISOString(),
      pnl: -10,
    });
    const cfg = await loadConfig(getDb(env.DB));
    await enqueueOwedEvents(env, cfg, now);
    await enqueueOwedEvents(env, cfg, now + 60_000);
    const rows = await notificationRows();
    expect(rows.map((r) => `${r.channel} ${r.event_key}`).sort()).toEqual(
      [
        "telegram entry:pos_open",
        "telegram entry:pos_closed",
        "telegram exit:pos_closed",
        "webhook entry:pos_open",
        "webhook entry:pos_closed",
        "webhook exit:pos_closed",
      ].sort(),
    );
    const exit = JSON.parse(rows.find((r) => r.event_key === "exit:pos_closed").payload);
    expect(exit).toMatchObject({ realized_pnl_usd: -10, exit_reason: "stop_loss", pnl_percent: -20 });

    await deliverNotifications(env, now + 120_000);
    const texts = (await fake.notifications())
      .filter((n) => n.route === "telegram.sendMessage")
      .map((n) => JSON.parse(n.raw).text as string);
    expect(texts.find((t) => t.startsWith("Exit"))).toContain("PnL $-10.00 (-20.00 %)");
  });

  it("trade events are off with notify_trade_events = false; a position opened through its actor is swept", async () => {
    await channelsOn();
    await env.DB.prepare("UPDATE config SET notify_trade_events = 0").run();
    const pos = await openPosition(mint("notify72"));
    const cfg = await loadConfig(getDb(env.DB));
    await enqueueOwedEvents(env, cfg, Date.now());
    expect(await notificationRows()).toHaveLength(0);
    await env.DB.prepare("UPDATE config SET notify_trade_events = 1").run();
    await enqueueOwedEvents(env, { ...cfg, notify_trade_events: true }, Date.now());
    expect((await notificationRows()).map((r) => r.event_key)).toEqual([`entry:${pos.id}`, `entry:${pos.id}`]);
  });

  it("the daily summary of yesterday is queued once after 00:05 UTC, with its closed positions and PnL", async () => {
    await channelsOn();
    await insertPosition("pos_win", {
      status: "closed",
      opened_at: "2026-11-30T10:00:00.000Z",
      closed_at: "2026-11-30T12:00:00.000Z",
      pnl: 30,
    });
    await insertPosition("pos_loss", {
      status: "closed",
      opened_at: "2026-11-30T11:00:00.000Z",
      closed_at: "2026-11-30T13:00:00.000Z",
      pnl: -5,
    });
    await insertPosition("pos_other_day", {
      status: "closed",
      opened_at: "2026-11-29T11:00:00.000Z",
      closed_at: "2026-11-29T13:00:00.000Z",
      pnl: 100,
    });
    await env.DB.prepare("UPDATE config SET notify_trade_events = 0, notify_daily_summary = 1").run();
    const cfg = await loadConfig(getDb(env.DB));
    // 00:02 UTC: too early, the last rows of the day may still be on their way.
    expect((await enqueueOwedEvents(env, cfg, Date.parse("2026-12-01T00:02:00.000Z"))).summary).toBeNull();
    expect(await notificationRows()).toHaveLength(0);
    expect((await enqueueOwedEvents(env, cfg, Date.parse("2026-12-01T00:06:00.000Z"))).summary).toBe("2026-11-30");
    expect((await enqueueOwedEvents(env, cfg, Date.parse("2026-12-01T09:00:00.000Z"))).summary).toBeNull();
    const rows = await notificationRows();
    expect(rows.map((r) => `${r.channel} ${r.event_key}`)).toEqual([
      "telegram summary:2026-11-30",
      "webhook summary:2026-11-30",
    ]);
    expect(JSON.parse(rows[0].payload)).toMatchObject({
      day: "2026-11-30",
      closed: 2,
      wins: 1,
      losses: 1,
      realized_pnl_usd: 25,
      opened: 2,
    });
  });
});

describe("notifications: configuration, API errors, secrets", () => {
  it("bad channel settings answer 400 naming the field; retry/test answer 404/409/422 in the error envelope", async () => {
    for (const [field, value] of [
      ["telegram_chat_id", "not a chat"],
      ["notify_webhook_url", "ftp://example.com/hook"],
      ["notify_min_severity", "loud"],
      ["jupiter_price_requests_per_minute_limit", 0],
    ] as const) {
      const r = await api("PATCH", "/api/v1/config", { [field]: value });
      expect(r.status, field).toBe(400);
      expectErrorShape(r.body, "ValidationError");
      expect(r.body.detail).toContain(field);
    }
    const none = await api("POST", "/api/v1/notifications/test");
    expect(none.status).toBe(422);
    expectErrorShape(none.body, "RuleRefused");

    const ok = await api("PATCH", "/api/v1/config", { telegram_chat_id: "-100123", notify_webhook_url: HOOK_URL });
    expect(ok.status).toBe(200);
    const queued = await api("POST", "/api/v1/notifications/test");
    expect(queued.status).toBe(202);
    expect(queued.body.items.map((n: any) => n.channel).sort()).toEqual(["telegram", "webhook"]);
    await deliverNotifications(env);
    const id = queued.body.items[0].id;
    const again = await api("POST", `/api/v1/notifications/${id}/retry`);
    expect(again.status).toBe(409);
    expectErrorShape(again.body, "Conflict");
    const missing = await api("GET", "/api/v1/notifications/999999");
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, "NotFound");
    const bad = await api("GET", "/api/v1/notifications?status=sent");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
  });

  describe("secrets", () => {
    const lines: string[] = [];
    const spies: { mockRestore(): void }[] = [];
    beforeAll(() => {
      for (const m of ["log", "info", "warn", "error", "debug"] as const)
        spies.push(
          vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
            lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
          }),
        );
    });
    afterAll(() => {
      for (const s of spies) s.mockRestore();
    });

    it("the bot token and the webhook secret never reach a log line, a response or a D1 row, even on failures", async () => {
      await channelsOn();
      await fake.fail("telegram.sendMessage", { status: 500, times: 1 });
      await fake.fail("notify.webhook", { mode: "timeout", delay_ms: 2000, times: 1 });
      await raiseAlert(env.DB, { kind: "stuck_exit", subject: "pos_x", message: "stuck" });
      // Through the real cron entry: `* * * * *` runs the notifications job beside the minute's fundings.
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env, ctx);
      await waitOnExecutionContext(ctx);
      await deliverNotifications(env, Date.now() + 3_600_000);
      const job = await env.DB.prepare(
        "SELECT status FROM job_runs WHERE job = 'notifications' ORDER BY id DESC",
      ).first();
      expect(job).toEqual({ status: "ok" });

      const responses = [
        JSON.stringify((await api("GET", "/api/v1/notifications")).body),
        JSON.stringify((await api("GET", "/api/v1/alerts")).body),
        JSON.stringify((await api("GET", "/api/v1/config")).body),
      ];
      const tables = ["notifications", "alerts", "job_runs", "config", "heartbeats"];
      const d1 = [];
      for (const t of tables) d1.push(JSON.stringify((await env.DB.prepare(`SELECT * FROM ${t}`).all()).results));
      expect(lines.some((l) => l.includes("notification_failed"))).toBe(true);
      for (const secret of [BOT_TOKEN, HOOK_SECRET]) {
        for (const l of lines) expect(l.includes(secret), `log line leaks: ${l.slice(0, 200)}`).toBe(false);
        for (const r of responses) expect(r.includes(secret)).toBe(false);
        for (const r of d1) expect(r.includes(secret)).toBe(false);
      }
      expect((await notificationRows()).every((r) => r.status === "delivered")).toBe(true);
    });
  });
});
