import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getBase58Decoder } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { resetHeartbeatThrottle } from "../src/db/heartbeats";
import { tokenRowUpsert } from "../src/db/token-safety";
import { runJob } from "../src/jobs/run-job";
import { collectStatus } from "../src/ops/status";
import { sharedWrite } from "../src/pipeline/shared-d1-write";
import { api, expectErrorShape } from "./helpers/api";
import { mint } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, patchWriter } from "./helpers/faults";
import { addr } from "./helpers/helius";
import { openPosition } from "./helpers/positions";

beforeEach(async () => {
  await fake.reset();
  resetHeartbeatThrottle();
  await env.DB.prepare("DELETE FROM heartbeats").run();
});

const component = (body: { components: { name: string }[] }, name: string) =>
  body.components.find((c) => c.name === name) as { name: string; verdict: string; reason: string; detail: any };

async function status() {
  const res = await api("GET", "/api/v1/status");
  expect(res.status).toBe(200);
  return res.body;
}

describe("GET /api/v1/status", () => {
  it("needs the operator token", async () => {
    const res = await api("GET", "/api/v1/status", undefined, { authorization: "Bearer wrong" });
    expect(res.status).toBe(401);
    expectErrorShape(res.body, "Unauthorized");
  });

  it("cron heartbeat verdicts: never ran = late, scripted ok run = ok, failed run = failing, old run = late", async () => {
    expect(component(await status(), "cron:helius_sync")).toMatchObject({
      verdict: "late",
      reason: "no run recorded yet",
    });

    await runJob(env, "helius_sync", "*/5 * * * *", async () => ({ status: "ok" }));
    const ok = component(await status(), "cron:helius_sync");
    expect(ok.verdict).toBe("ok");
    expect(ok.detail).toMatchObject({ last_outcome: "ok", runs: 1, consecutive_failures: 0 });
    expect(ok.detail.last_duration_ms).toBeGreaterThanOrEqual(0);

    await runJob(env, "helius_sync", "*/5 * * * *", async () => {
      throw new Error("helius exploded");
    });
    const failing = component(await status(), "cron:helius_sync");
    expect(failing.verdict).toBe("failing");
    expect(failing.reason).toContain("helius exploded");
    expect(failing.detail).toMatchObject({ last_outcome: "error", consecutive_failures: 1, runs: 2 });

    // a success clears the failure; then the clock passes two periods (10 min) without a run
    await runJob(env, "helius_sync", "*/5 * * * *", async () => ({ status: "ok" }));
    const later = await collectStatus(env, Date.now() + 11 * 60_000);
    expect(later.components.find((c) => c.name === "cron:helius_sync")).toMatchObject({ verdict: "late" });
    // one period later is still fine
    const soon = await collectStatus(env, Date.now() + 6 * 60_000);
    expect(soon.components.find((c) => c.name === "cron:helius_sync")?.verdict).toBe("ok");
  });

  it("a run that started and never finished is failing after two periods", async () => {
    const started = new Date(Date.now() - 3 * 3_600_000).toISOString();
    await env.DB.prepare(
      "INSERT INTO heartbeats (component, kind, last_started_at, last_outcome) VALUES ('hourly_refresh', 'cron', ?, 'running')",
    )
      .bind(started)
      .run();
    const c = component(await status(), "cron:hourly_refresh");
    expect(c.verdict).toBe("failing");
    expect(c.reason).toContain("never finished");
  });

  it("actor alarm loops record their heartbeat: the position poll and the swap queue", async () => {
    const m = mint("status1");
    await fake.tokens({ mint: m, price_usd: 1 });
    const p = await openPosition(m);
    await runDurableObjectAlarm(p.actor);
    const hb = await env.DB.prepare("SELECT * FROM heartbeats WHERE component = 'position_actor'").first<any>();
    expect(hb).toMatchObject({ kind: "alarm", last_outcome: "ok", consecutive_failures: 0 });
    const positions = component(await status(), "positions");
    expect(positions.detail.open).toBeGreaterThanOrEqual(1);
    expect(positions.detail.alarm_loop.last_outcome).toBe("ok");

    const sqStub = env.SWAP_QUEUE.getByName("default");
    await runInDurableObject(sqStub, (_i, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    expect(await runDurableObjectAlarm(sqStub)).toBe(true);
    const q = await env.DB.prepare("SELECT * FROM heartbeats WHERE component = 'swap_queue'").first<any>();
    expect(q).toMatchObject({ kind: "alarm", last_outcome: "ok" });
    const sq = component(await status(), "swap_queue");
    expect(sq.detail).toHaveProperty("depth");
    expect(sq.detail).toHaveProperty("dead_letters");
  });

  it("a position whose poll alarm was lost and one priced by a fallback make the positions verdict failing", async () => {
    const m = mint("status2");
    await fake.tokens({ mint: m, price_usd: 1 });
    const p = await openPosition(m);
    const old = new Date(Date.now() - 30 * 60_000).toISOString();
    await env.DB.prepare("UPDATE positions SET next_poll_at = ?, price_source = 'dexscreener' WHERE id = ?")
      .bind(old, p.id)
      .run();
    const c = component(await status(), "positions");
    expect(c.verdict).toBe("failing");
    expect(c.detail.without_armed_alarm).toContain(p.id);
    expect(c.detail.stale_or_fallback_price.map((x: { id: string }) => x.id)).toContain(p.id);
    await env.DB.prepare("UPDATE positions SET status = 'closed' WHERE id = ?").bind(p.id).run();
  });

  it("trading wallet: not configured / live off without WALLET_PRIVATE_KEY; address derived when set; invalid key failing", async () => {
    const none = component(await status(), "trading_wallet");
    expect(none.verdict).toBe("ok");
    expect(none.reason).toContain("not configured");
    expect(none.detail).toMatchObject({ address: null, live_switch: "off" });

    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
    const b64 = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));
    const secret = new Uint8Array([...b64(jwk.d as string), ...b64(jwk.x as string)]);
    const expected = getBase58Decoder().decode(b64(jwk.x as string));
    const withKey = await collectStatus({ ...env, WALLET_PRIVATE_KEY: getBase58Decoder().decode(secret) });
    const tw = withKey.components.find((c) => c.name === "trading_wallet");
    expect(tw?.detail).toMatchObject({ address: expected, live_switch: "off" });
    expect(JSON.stringify(withKey)).not.toContain(getBase58Decoder().decode(secret));

    const bad = await collectStatus({ ...env, WALLET_PRIVATE_KEY: "not-a-key" });
    expect(bad.components.find((c) => c.name === "trading_wallet")?.verdict).toBe("failing");
  });

  it("the read model's shared writer: what it wrote, and the last unit D1 refused", async () => {
    const mint = addr();
    const row = (m: string) =>
      tokenRowUpsert(getDb(env.DB), m, { decimals: 6, safety_checked_at: new Date().toISOString() } as never);
    await sharedWrite(env, [row(mint)]);
    const ok = component(await status(), "read_model_writer");
    expect(ok.verdict).toBe("ok");
    expect(ok.detail).toMatchObject({ waiting: 0, statements: expect.any(Number), batches: expect.any(Number) });
    expect(ok.detail.statements).toBeGreaterThan(0);
    const failed = ok.detail.failed_units as number;
    const down = faultyD1(env.DB, { match: /tokens/, message: "D1 unreachable (test)" });
    const restore = await patchWriter({ DB: down.binding });
    await expect(sharedWrite(env, [row(addr())])).rejects.toThrow(/D1 unreachable/);
    await restore();
    const after = component(await status(), "read_model_writer");
    expect(after.verdict).toBe("ok"); // each caller retries its own: a refused unit is not a stuck writer
    expect(after.detail.failed_units).toBe(failed + 1);
    expect(after.detail.last_failure).toMatchObject({ error: "D1 unreachable (test)" });
  });

  it("lists every component with a verdict and a reason, and /health stays minimal", async () => {
    const body = await status();
    const names = body.components.map((c: { name: string }) => c.name);
    for (const n of [
      "cron:helius_sync",
      "cron:hourly_refresh",
      "cron:performance_aggregation",
      "swap_queue",
      "read_model_writer",
      "positions",
      "webhook",
      "upstream:jupiter",
      "circuit_breaker",
      "trading_wallet",
    ])
      expect(names).toContain(n);
    for (const c of body.components) {
      expect(["ok", "late", "failing"]).toContain(c.verdict);
      expect(c.reason.length).toBeGreaterThan(0);
    }
    const health = await api("GET", "/health", undefined, { authorization: "" });
    expect(Object.keys(health.body).sort()).toEqual(["database", "status", "version"]);
  });
});

describe("heartbeat faults", () => {
  it("a heartbeat write that fails never fails the job it describes", async () => {
    const db = faultyD1(env.DB, { match: /INSERT INTO heartbeats/, times: 2 });
    const r = await runJob({ ...env, DB: db.binding }, "performance_aggregation", "0 0 * * *", async () => ({
      status: "ok",
    }));
    expect(r.status).toBe("ok");
    expect(db.thrown()).toBe(2);
    const run = await env.DB.prepare(
      "SELECT status FROM job_runs WHERE job = 'performance_aggregation' ORDER BY id DESC LIMIT 1",
    ).first<{ status: string }>();
    expect(run?.status).toBe("ok");
    // no heartbeat reached D1: the status honestly says the cron has not been seen
    expect(component(await status(), "cron:performance_aggregation").verdict).toBe("late");
  });
});
