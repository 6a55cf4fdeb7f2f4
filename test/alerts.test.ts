import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { raiseAlert } from "../src/db/alerts";
import worker from "../src/index";
import { runOpsMonitor } from "../src/jobs/ops-monitor";
import { runJob } from "../src/jobs/run-job";
import { api, expectErrorShape } from "./helpers/api";
import { mint, queue, resetBreaker, setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition } from "./helpers/positions";

beforeEach(async () => {
  await fake.reset();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM alerts"),
    env.DB.prepare("DELETE FROM alert_candidates"),
    env.DB.prepare("DELETE FROM heartbeats"),
    env.DB.prepare("UPDATE config SET helius_last_sync_status = NULL, helius_last_sync_error = NULL"),
  ]);
});

const alertsOf = async (kind: string) =>
  (await env.DB.prepare("SELECT * FROM alerts WHERE kind = ? ORDER BY id").bind(kind).all<any>()).results;
const monitor = () => runJob(env, "ops_monitor", "*/5 * * * *", runOpsMonitor);

describe("alerts: stored, deduplicated, acknowledged, resolved", () => {
  it("a repeated condition is one alert with a count and first/last seen; ack keeps counting; resolve then re-raise opens a new one", async () => {
    const a = { kind: "sync_error" as const, subject: "helius", message: "boom" };
    const t0 = Date.parse("2026-11-01T00:00:00.000Z");
    const first = await raiseAlert(env.DB, a, t0);
    const second = await raiseAlert(env.DB, a, t0 + 60_000);
    expect(first).toMatchObject({ created: true, count: 1 });
    expect(second).toMatchObject({ id: first?.id, created: false, count: 2 });
    const [row] = await alertsOf("sync_error");
    expect(row).toMatchObject({
      count: 2,
      status: "open",
      severity: "warning",
      first_seen_at: "2026-11-01T00:00:00.000Z",
      last_seen_at: "2026-11-01T00:01:00.000Z",
    });

    const acked = await api("POST", `/api/v1/alerts/${row.id}/ack`);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: "acknowledged", acknowledged_by: "token" });
    expect((await api("POST", `/api/v1/alerts/${row.id}/ack`)).status).toBe(409);
    await raiseAlert(env.DB, a);
    expect((await alertsOf("sync_error"))[0]).toMatchObject({ status: "acknowledged", count: 3 });

    const resolved = await api("POST", `/api/v1/alerts/${row.id}/resolve`);
    expect(resolved.body).toMatchObject({ status: "resolved", resolved_by: "token" });
    const again = await raiseAlert(env.DB, a);
    expect(again?.created).toBe(true);
    expect(again?.id).not.toBe(row.id);
    expect(await alertsOf("sync_error")).toHaveLength(2);

    const listed = await api("GET", "/api/v1/alerts?status=open&kind=sync_error");
    expect(listed.body.items.map((x: { id: number }) => x.id)).toEqual([again?.id]);
  });

  it("an event alert (dead letter) is raised once per subject, even after it is resolved", async () => {
    const a = { kind: "dead_letter" as const, subject: "ord_x", message: "dead" };
    expect((await raiseAlert(env.DB, a))?.created).toBe(true);
    expect(await raiseAlert(env.DB, a)).toBeNull();
    const [row] = await alertsOf("dead_letter");
    await api("POST", `/api/v1/alerts/${row.id}/resolve`);
    expect(await raiseAlert(env.DB, a)).toBeNull();
    expect(await alertsOf("dead_letter")).toHaveLength(1);
  });

  it("concurrent raises of one condition make one row", async () => {
    const a = { kind: "cron_late" as const, subject: "race", message: "late" };
    await Promise.all(Array.from({ length: 8 }, () => raiseAlert(env.DB, a)));
    const rows = await alertsOf("cron_late");
    expect(rows).toHaveLength(1);
    expect(rows[0].count).toBe(8);
  });

  it("bad input and unknown ids get the error envelope", async () => {
    const bad = await api("POST", "/api/v1/alerts/abc/ack");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    const missing = await api("POST", "/api/v1/alerts/999999/resolve");
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, "NotFound");
    const badKind = await api("GET", "/api/v1/alerts?kind=nope");
    expect(badKind.status).toBe(400);
    expectErrorShape(badKind.body, "ValidationError");
  });
});

describe("alerts raised by their conditions", () => {
  it("webhook silent longer than webhook_silence_alert_minutes while wallets are watched: raised once, counted, resolved by a delivery", async () => {
    await setConfig({ webhook_silence_alert_minutes: 60 });
    const addr = "SiLent1111111111111111111111111111111111111";
    await env.DB.prepare("INSERT INTO wallets (address, is_active) VALUES (?, 1) ON CONFLICT DO NOTHING")
      .bind(addr)
      .run();
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await env.DB.prepare(
      "INSERT INTO signals (transaction_signature, wallet_address, signal_type, webhook_received_at, raw_payload, created_at) VALUES (?, ?, 'other', ?, '{}', ?)",
    )
      .bind(`sig_silent_${Date.now()}`, addr, old, old)
      .run();
    // Other tests' signals may be newer; make this one the latest by clearing newer ones' time.
    await env.DB.prepare("UPDATE signals SET webhook_received_at = ? WHERE webhook_received_at > ?")
      .bind(old, old)
      .run();

    await monitor();
    await monitor();
    const rows = await alertsOf("webhook_silent");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subject: "helius", count: 2, status: "open", severity: "critical" });

    await env.DB.prepare(
      "INSERT INTO signals (transaction_signature, wallet_address, signal_type, webhook_received_at, raw_payload) VALUES (?, ?, 'other', ?, '{}')",
    )
      .bind(`sig_fresh_${Date.now()}`, addr, new Date().toISOString())
      .run();
    await monitor();
    expect((await alertsOf("webhook_silent"))[0]).toMatchObject({ status: "resolved", resolved_by: "monitor" });
    await env.DB.prepare("UPDATE wallets SET is_active = 0 WHERE address = ?").bind(addr).run();
  });

  it("breaker tripped and reset: each an alert; the reset resolves the trip's alert", async () => {
    await resetBreaker();
    const trip = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "incident drill" });
    expect(trip.status).toBe(200);
    const tripped = await alertsOf("breaker_tripped");
    expect(tripped).toHaveLength(1);
    expect(tripped[0]).toMatchObject({ status: "open", severity: "critical" });
    expect(tripped[0].message).toContain("incident drill");
    await api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "drill over" });
    expect((await alertsOf("breaker_tripped"))[0].status).toBe("resolved");
    expect(await alertsOf("breaker_reset")).toHaveLength(1);
    // the monitor's sweep finds both already raised
    await monitor();
    expect(await alertsOf("breaker_tripped")).toHaveLength(1);
    expect(await alertsOf("breaker_reset")).toHaveLength(1);
  });

  it("a breaker alert whose write failed is raised by the monitor's sweep", async () => {
    await resetBreaker();
    await api("POST", "/api/v1/circuit-breaker/activate", { reason: "sweep test" });
    await env.DB.prepare("DELETE FROM alerts").run(); // as if the raise had failed
    await monitor();
    expect((await alertsOf("breaker_tripped")).length).toBeGreaterThanOrEqual(1);
    await resetBreaker();
  });

  it("a dead letter raises one alert", async () => {
    await setConfig({ max_swap_retries: 0 });
    const m = mint("DLALERT");
    const res = await queue().enqueue({
      idempotency_key: `pos_missing_${m}:manual:1`,
      side: "sell",
      priority: "urgent",
      mode: "simulation",
      token_mint: m,
      wallet_id: null,
      position_id: `pos_missing_${m}`,
      reason: "manual",
      sell_amount: "1000",
      trigger_price_usd: 1,
    });
    for (let i = 0; i < 5; i++) {
      if ((await queue().status()).dead_letters.some((d) => d.order_id === res.order_id)) break;
      await runInDurableObject(queue(), (_i, state) => {
        state.storage.sql.exec("UPDATE queue SET not_before_ms = 0");
        state.storage.sql.exec("DELETE FROM meta WHERE key = 'last_execution_ms'");
      });
      await runDurableObjectAlarm(queue());
    }
    expect((await queue().status()).dead_letters.map((d) => d.order_id)).toContain(res.order_id);
    await monitor();
    await monitor();
    const rows = (await alertsOf("dead_letter")).filter((r) => r.subject === res.order_id);
    expect(rows).toHaveLength(1);
    expect(rows[0].message).toContain("position not found");
    await setConfig({ max_swap_retries: 3 });
  });

  it("a Helius sync error raises sync_error; a clean sync resolves it", async () => {
    await env.DB.prepare(
      "UPDATE config SET helius_last_sync_status = 'error', helius_last_sync_error = 'HTTP 401 from Helius'",
    ).run();
    await monitor();
    expect((await alertsOf("sync_error"))[0]).toMatchObject({ status: "open" });
    expect((await alertsOf("sync_error"))[0].message).toContain("HTTP 401");
    await env.DB.prepare("UPDATE config SET helius_last_sync_status = 'synced', helius_last_sync_error = NULL").run();
    await monitor();
    expect((await alertsOf("sync_error"))[0].status).toBe("resolved");
  });

  it("a cron late by more than two periods raises cron_late", async () => {
    const old = new Date(Date.now() - 11 * 60_000).toISOString();
    await env.DB.prepare(
      "INSERT INTO heartbeats (component, kind, last_started_at, last_finished_at, last_outcome) VALUES ('helius_sync', 'cron', ?1, ?1, 'ok')",
    )
      .bind(old)
      .run();
    await monitor();
    const rows = await alertsOf("cron_late");
    expect(rows.map((r) => r.subject)).toContain("helius_sync");
    // a cron that has simply never run yet is not "late" on the monitor's first run
    expect(rows.map((r) => r.subject)).not.toContain("performance_aggregation");
  });

  it("a position priced by a fallback for more than 5 min raises stale_price (not before)", async () => {
    const m = mint("STALEALERT");
    await fake.tokens({ mint: m, price_usd: 1 });
    const p = await openPosition(m);
    await env.DB.prepare("UPDATE positions SET price_source = 'dexscreener', last_price_at = ? WHERE id = ?")
      .bind(new Date().toISOString(), p.id)
      .run();
    await monitor();
    expect((await alertsOf("stale_price")).filter((r) => r.subject === p.id)).toHaveLength(0);
    // six minutes later, still on the fallback
    await env.DB.prepare("UPDATE alert_candidates SET first_seen_at = ? WHERE subject = ?")
      .bind(new Date(Date.now() - 6 * 60_000).toISOString(), p.id)
      .run();
    await monitor();
    expect((await alertsOf("stale_price")).filter((r) => r.subject === p.id)).toHaveLength(1);
    // back on Jupiter: resolved, candidate forgotten
    await env.DB.prepare("UPDATE positions SET price_source = 'jupiter' WHERE id = ?").bind(p.id).run();
    await monitor();
    expect((await alertsOf("stale_price")).find((r) => r.subject === p.id)?.status).toBe("resolved");
    await env.DB.prepare("UPDATE positions SET status = 'closed' WHERE id = ?").bind(p.id).run();
  });

  it("the monitor runs on the 5-minute cron beside the Helius sync, with its own heartbeat", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const hb = await env.DB.prepare("SELECT * FROM heartbeats WHERE component = 'ops_monitor'").first<any>();
    expect(hb?.last_outcome).toBe("ok");
    const status = await api("GET", "/api/v1/status");
    expect(status.body.components.map((c: { name: string }) => c.name)).toContain("cron:ops_monitor");
  });
});
