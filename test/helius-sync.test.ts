import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { pickWebhooks, planHeliusSync, webhookAction, webhookUpToDate } from "../src/domain/helius-sync";
import worker from "../src/index";
import { runHeliusSync } from "../src/jobs/helius-sync";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape, withEnv } from "./helpers/api";
import { fake } from "./helpers/fake";

type FakeWebhook = {
  webhookID: string;
  webhookURL: string;
  transactionTypes: string[];
  accountAddresses: string[];
  webhookType: string;
  authHeader?: string;
};
const fakeWebhooks = async () => Object.values((await fake.state()).webhooks as Record<string, FakeWebhook>);
const syncConfig = () =>
  env.DB.prepare(
    "SELECT helius_webhook_id, helius_last_sync_at, helius_last_sync_status, helius_last_sync_error FROM config",
  ).first<{
    helius_webhook_id: string | null;
    helius_last_sync_at: string | null;
    helius_last_sync_status: string | null;
    helius_last_sync_error: string | null;
  }>();
const walletRow = (id: number) =>
  env.DB.prepare("SELECT helius_sync_status, helius_synced_at, helius_sync_error FROM wallets WHERE id = ?")
    .bind(id)
    .first<{ helius_sync_status: string; helius_synced_at: string | null; helius_sync_error: string | null }>();
const addWallet = async (extra: Record<string, unknown> = {}) => {
  const res = await api("POST", "/api/v1/wallets", { address: randomAddress(), ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: number; address: string };
};
const sync = () => api("POST", "/api/v1/sync/helius");

beforeEach(async () => {
  await fake.reset();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM wallets"),
    env.DB.prepare(
      `UPDATE config SET helius_webhook_id = NULL, helius_last_sync_at = NULL, helius_last_sync_status = NULL,
         helius_last_sync_error = NULL, helius_transaction_types = '["ANY"]'`,
    ),
  ]);
});

describe("planHeliusSync / webhookAction (pure)", () => {
  it("pushes each active address once, sorted, and decides only non-synced wallet versions", () => {
    const plan = planHeliusSync([
      { id: 1, address: "B", is_active: true, helius_sync_status: "synced", updated_at: "t1" },
      { id: 2, address: "A", is_active: true, helius_sync_status: "pending", updated_at: "t2" },
      { id: 3, address: "C", is_active: false, helius_sync_status: "pending", updated_at: "t3" },
      { id: 4, address: "D", is_active: true, helius_sync_status: "error", updated_at: "t4" },
    ]);
    expect(plan.addresses).toEqual(["A", "B", "D"]);
    expect(plan.toMark).toEqual([
      { id: 2, u: "t2" },
      { id: 3, u: "t3" },
      { id: 4, u: "t4" },
    ]);
  });
  it("edits a stored webhook, creates one only when someone is watched", () => {
    expect(webhookAction("w1", 0)).toEqual({ kind: "edit", webhookId: "w1" });
    expect(webhookAction(null, 3)).toEqual({ kind: "create" });
    expect(webhookAction(null, 0)).toEqual({ kind: "none" });
  });
});

describe("Helius address sync", () => {
  it("creates the webhook once with exactly the active addresses, then only edits it", async () => {
    const a = await addWallet();
    const b = await addWallet();
    const off = await addWallet({ is_active: false });

    const first = await sync();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "ok", detail: { created: true, addresses: 2 } });
    let hooks = await fakeWebhooks();
    expect(hooks).toHaveLength(1);
    const hook = hooks[0] as FakeWebhook;
    expect(hook).toMatchObject({
      webhookURL: "https://walltrack.test/webhooks/helius",
      transactionTypes: ["ANY"],
      webhookType: "enhanced",
      authHeader: "test-helius-auth-header",
    });
    expect(hook.accountAddresses).toEqual([a.address, b.address].sort());
    expect(hook.accountAddresses).not.toContain(off.address);
    const cfg = await syncConfig();
    expect(cfg).toMatchObject({
      helius_webhook_id: hook.webhookID,
      helius_last_sync_status: "ok",
      helius_last_sync_error: null,
    });
    expect(cfg?.helius_last_sync_at).toEqual(expect.any(String));
    for (const w of [a, b, off]) expect((await walletRow(w.id))?.helius_sync_status).toBe("synced");

    // a new wallet and a changed transaction-type config: the next run edits the same webhook
    const c = await addWallet();
    expect((await api("PATCH", "/api/v1/config", { helius_transaction_types: ["SWAP", "TRANSFER"] })).status).toBe(200);
    const second = await sync();
    expect(second.body).toMatchObject({ status: "ok", detail: { created: false, addresses: 3 } });
    hooks = await fakeWebhooks();
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.accountAddresses).toEqual([a.address, b.address, c.address].sort());
    expect(hooks[0]?.transactionTypes).toEqual(["SWAP", "TRANSFER"]);
    expect((await walletRow(c.id))?.helius_sync_status).toBe("synced");
    const calls = await fake.calls();
    expect(calls["helius.webhooks.post"]).toBe(1);
    expect(calls["helius.webhooks.put"]).toBe(1);

    // deactivating a wallet removes it at the next push
    await api("PATCH", `/api/v1/wallets/${a.id}`, { is_active: false });
    expect((await walletRow(a.id))?.helius_sync_status).toBe("pending");
    await sync();
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([b.address, c.address].sort());
    expect((await walletRow(a.id))?.helius_sync_status).toBe("synced");
    expect((await fake.calls())["helius.webhooks.post"]).toBe(1);

    // nothing changed since: the run reads the webhook and spends no edit (100 credits each)
    const putsBefore = (await fake.calls())["helius.webhooks.put"];
    const idle = await sync();
    expect(idle.body).toMatchObject({ status: "ok", detail: { created: false, edited: false, addresses: 2 } });
    expect((await fake.calls())["helius.webhooks.put"]).toBe(putsBefore);
  });

  it("records an upstream 500 as an error without losing earlier sync state, and recovers on the next run", async () => {
    const a = await addWallet();
    expect((await sync()).status).toBe(200);
    const before = await syncConfig();
    const syncedA = await walletRow(a.id);

    const b = await addWallet();
    await fake.fail("helius.webhooks.put", { status: 500, times: 1 });
    const failed = await sync();
    expect(failed.status).toBe(503);
    expectErrorShape(failed.body, "UpstreamUnavailable");
    expect(failed.body.detail).toContain("HTTP 500");
    expect(failed.body.detail).not.toContain("test-helius-api-key");

    const after = await syncConfig();
    expect(after).toMatchObject({
      helius_webhook_id: before?.helius_webhook_id,
      helius_last_sync_at: before?.helius_last_sync_at,
      helius_last_sync_status: "error",
    });
    expect(after?.helius_last_sync_error).toContain("HTTP 500");
    expect(after?.helius_last_sync_error).not.toContain("test-helius-api-key");
    expect(await walletRow(a.id)).toEqual(syncedA); // already synced: untouched
    expect(await walletRow(b.id)).toMatchObject({ helius_sync_status: "error" });
    expect((await walletRow(b.id))?.helius_sync_error).toContain("HTTP 500");
    const run = await env.DB.prepare(
      "SELECT status, detail FROM job_runs WHERE job = 'helius_sync' ORDER BY id DESC LIMIT 1",
    ).first<{ status: string; detail: string }>();
    expect(run?.status).toBe("error");

    const state = await api("GET", "/api/v1/sync/helius");
    expect(state.body).toMatchObject({
      configured: true,
      last_sync_status: "error",
      active_wallets: 2,
      wallets_by_status: { synced: 1, error: 1, pending: 0 },
    });

    const recovered = await sync();
    expect(recovered.status).toBe(200);
    expect(await syncConfig()).toMatchObject({
      helius_webhook_id: before?.helius_webhook_id,
      helius_last_sync_status: "ok",
      helius_last_sync_error: null,
    });
    expect(await walletRow(b.id)).toMatchObject({ helius_sync_status: "synced", helius_sync_error: null });
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([a.address, b.address].sort());
    expect((await fake.calls())["helius.webhooks.post"]).toBe(1);
  });

  it("a failed first creation stores no webhook id, marks nothing synced, and the next run creates it", async () => {
    const a = await addWallet();
    await fake.fail("helius.webhooks.post", { mode: "timeout", times: 1, delay_ms: 1000 });
    expect((await sync()).status).toBe(503);
    expect(await syncConfig()).toMatchObject({ helius_webhook_id: null, helius_last_sync_status: "error" });
    expect((await walletRow(a.id))?.helius_sync_status).toBe("error");
    expect(await fakeWebhooks()).toHaveLength(0);
    expect((await sync()).status).toBe(200);
    expect(await fakeWebhooks()).toHaveLength(1);
    expect((await walletRow(a.id))?.helius_sync_status).toBe("synced");
  });

  it("a malformed upstream answer is an error, not a success", async () => {
    const a = await addWallet();
    await fake.fail("helius.webhooks.post", { mode: "malformed", times: 1 });
    expect((await sync()).status).toBe(503);
    expect((await walletRow(a.id))?.helius_sync_status).toBe("error");
    expect((await syncConfig())?.helius_webhook_id).toBeNull();
  });

  it("recreates the webhook when it was deleted on the Helius side", async () => {
    await addWallet();
    await sync();
    const oldId = (await syncConfig())?.helius_webhook_id as string;
    await env.FAKE_UPSTREAM.fetch(`http://fake.upstream/v0/webhooks/${oldId}?api-key=k`, { method: "DELETE" });
    const res = await sync();
    expect(res.status).toBe(200);
    const newId = (await syncConfig())?.helius_webhook_id;
    expect(newId).not.toBe(oldId);
    expect((await fakeWebhooks()).map((h) => h.webhookID)).toEqual([newId]);
  });

  it("adopts an existing webhook pointing at our URL instead of creating a duplicate", async () => {
    const a = await addWallet();
    await sync();
    const id = (await syncConfig())?.helius_webhook_id;
    // the stored id is lost (e.g. the config write after a create failed)
    await env.DB.prepare("UPDATE config SET helius_webhook_id = NULL").run();
    await addWallet();
    const res = await sync();
    expect(res.body.detail).toMatchObject({ created: false, webhook_id: id });
    expect(await fakeWebhooks()).toHaveLength(1);
    expect((await syncConfig())?.helius_webhook_id).toBe(id);
    expect((await fakeWebhooks())[0]?.accountAddresses).toContain(a.address);
  });

  it("a wallet changed while the push is in flight stays pending for the next run", async () => {
    const a = await addWallet();
    await sync();
    const b = await addWallet();
    // The change is made once the push has reached Helius (a condition, not a 60 ms sleep, which on a loaded
    // machine could fire before the run read the wallets); the push answers after 1 s, and the upstream
    // timeout is raised to 10 s meanwhile so load cannot turn that slow answer into a 503.
    await fake.latency("helius.webhooks.put", 1000);
    const res = await withEnv({ UPSTREAM_TIMEOUT_MS: "10000" }, async () => {
      const running = sync();
      for (let i = 0; i < 1500 && !(await fake.calls())["helius.webhooks.put"]; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect((await fake.calls())["helius.webhooks.put"]).toBe(1);
      expect((await api("PATCH", `/api/v1/wallets/${b.id}`, { is_active: false })).status).toBe(200);
      return running;
    });
    expect(res.status).toBe(200);
    // b was pushed as active but is now inactive: the push does not reflect it, so it must not be "synced"
    expect((await walletRow(b.id))?.helius_sync_status).toBe("pending");
    expect((await walletRow(a.id))?.helius_sync_status).toBe("synced");
    await fake.latency("helius.webhooks.put", 0);
    await sync();
    expect((await walletRow(b.id))?.helius_sync_status).toBe("synced");
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([a.address]);
  });

  it("a deactivated leader with an open position stays subscribed until its positions close", async () => {
    const a = await addWallet();
    const b = await addWallet();
    const posId = `pos-sync-${a.address.slice(0, 12)}`;
    await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
       VALUES (?, ?, ?, 6, 'simulation', 'open', 0.001, '1000000', 1, '1000000', ?)`,
    )
      .bind(posId, a.address, randomAddress(), new Date().toISOString())
      .run();
    await sync();
    expect((await api("PATCH", `/api/v1/wallets/${a.id}`, { is_active: false })).status).toBe(200);
    const kept = await sync();
    expect(kept.body).toMatchObject({ status: "ok", detail: { addresses: 2 } });
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([a.address, b.address].sort());
    expect((await walletRow(a.id))?.helius_sync_status).toBe("synced");

    // a closing position (its full exit queued) still needs the leader's transactions
    await env.DB.prepare("UPDATE positions SET status = 'closing' WHERE id = ?").bind(posId).run();
    await sync();
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([a.address, b.address].sort());

    // once closed, the next run drops the address
    await env.DB.prepare("UPDATE positions SET status = 'closed', closed_at = ? WHERE id = ?")
      .bind(new Date().toISOString(), posId)
      .run();
    const dropped = await sync();
    expect(dropped.body).toMatchObject({ status: "ok", detail: { addresses: 1, edited: true } });
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([b.address]);
  });

  it("creates nothing while no wallet is active", async () => {
    const off = await addWallet({ is_active: false });
    const res = await sync();
    expect(res.status).toBe(200);
    expect(await fakeWebhooks()).toHaveLength(0);
    expect((await fake.calls())["helius.webhooks.post"]).toBeUndefined();
    expect((await walletRow(off.id))?.helius_sync_status).toBe("synced");
  });

  it("without HELIUS_API_KEY records 'not configured' and calls nothing", async () => {
    const a = await addWallet();
    const result = await runHeliusSync({ ...env, HELIUS_API_KEY: undefined }, Date.now());
    expect(result.status).toBe("skipped");
    expect(JSON.stringify(result.detail)).toContain("HELIUS_API_KEY");
    const cfg = await syncConfig();
    expect(cfg?.helius_last_sync_status).toBe("not_configured");
    expect(cfg?.helius_last_sync_error).toContain("HELIUS_API_KEY");
    expect(cfg?.helius_webhook_id).toBeNull();
    expect(await fake.calls()).toEqual({});
    expect((await walletRow(a.id))?.helius_sync_status).toBe("pending");
  });

  it("runs from the */5 cron", async () => {
    const a = await addWallet();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await fakeWebhooks())[0]?.accountAddresses).toEqual([a.address]);
    expect((await walletRow(a.id))?.helius_sync_status).toBe("synced");
    const run = await env.DB.prepare(
      "SELECT status, cron FROM job_runs WHERE job = 'helius_sync' ORDER BY id DESC LIMIT 1",
    ).first();
    expect(run).toMatchObject({ status: "ok", cron: "*/5 * * * *" });
  });
});

describe("webhookUpToDate", () => {
  const wanted = {
    webhookURL: "https://w.test/h",
    transactionTypes: ["ANY"],
    accountAddresses: ["b", "a"],
    webhookType: "enhanced",
    authHeader: "s3cret",
  };
  it("ignores order but sees every drift, including a rotated auth header", () => {
    const current = { ...wanted, accountAddresses: ["a", "b"] };
    expect(webhookUpToDate(current, wanted)).toBe(true);
    expect(webhookUpToDate({ ...current, accountAddresses: ["a"] }, wanted)).toBe(false);
    expect(webhookUpToDate({ ...current, authHeader: "old" }, wanted)).toBe(false);
    expect(webhookUpToDate({ ...current, authHeader: undefined }, wanted)).toBe(false);
    expect(webhookUpToDate({ ...current, transactionTypes: ["SWAP"] }, wanted)).toBe(false);
    expect(webhookUpToDate({ ...current, webhookURL: "https://other.test" }, wanted)).toBe(false);
  });
});

describe("Helius sync: one writer, no duplicate webhooks (issue 9)", () => {
  const createdDirectly = async (url: string) => {
    const res = await env.FAKE_UPSTREAM.fetch("http://fake.upstream/v0/webhooks?api-key=k", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        webhookURL: url,
        transactionTypes: ["ANY"],
        accountAddresses: [randomAddress()],
        webhookType: "enhanced",
        authHeader: "old-header",
      }),
    });
    return ((await res.json()) as FakeWebhook).webhookID;
  };
  const OUR_URL = "https://walltrack.test/webhooks/helius";
  beforeEach(async () => {
    await env.DB.prepare("DELETE FROM job_locks").run();
  });

  it("5 concurrent syncs create 1 webhook", async () => {
    const a = await addWallet();
    // A slow creation: without one writer, every run lists no webhook before the first creation lands.
    // The upstream timeout is raised for these runs: with the config's 400 ms, load turned the 250 ms answer
    // into a timeout (503).
    await fake.latency("helius.webhooks.post", 250);
    const runs = await withEnv({ UPSTREAM_TIMEOUT_MS: "10000" }, () =>
      Promise.all(Array.from({ length: 5 }, () => sync())),
    );
    await fake.latency("helius.webhooks.post", 0);
    for (const r of runs) expect(r.status).toBe(200);
    const hooks = await fakeWebhooks();
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.accountAddresses).toEqual([a.address]);
    expect((await fake.calls())["helius.webhooks.post"]).toBe(1);
    expect((await syncConfig())?.helius_webhook_id).toBe(hooks[0]?.webhookID);
    // The runs that found the writer busy say so; they changed nothing.
    const skipped = runs.filter((r) => r.body.status === "skipped");
    for (const r of skipped) expect(r.body.detail.reason).toMatch(/another helius sync is running/);
    // And the lock is released: the next run works normally.
    const next = await sync();
    expect(next.body.status).toBe("ok");
    expect(await fakeWebhooks()).toHaveLength(1);
  });

  it("pre-existing duplicates pointing at PUBLIC_WEBHOOK_URL are deleted and one is adopted", async () => {
    const a = await addWallet();
    const first = await createdDirectly(OUR_URL);
    const dup1 = await createdDirectly(OUR_URL);
    const dup2 = await createdDirectly(OUR_URL);
    const foreign = await createdDirectly("https://someone-else.test/hook");
    const res = await sync();
    expect(res.status).toBe(200);
    expect(res.body.detail).toMatchObject({ created: false, webhook_id: first, duplicates_deleted: 2 });
    const hooks = await fakeWebhooks();
    expect(hooks.map((h) => h.webhookID).sort()).toEqual([first, foreign].sort());
    expect(hooks.find((h) => h.webhookID === first)).toMatchObject({
      accountAddresses: [a.address],
      authHeader: "test-helius-auth-header",
    });
    expect((await syncConfig())?.helius_webhook_id).toBe(first);
    expect(hooks.map((h) => h.webhookID)).not.toContain(dup1);
    expect(hooks.map((h) => h.webhookID)).not.toContain(dup2);
    expect((await fake.calls())["helius.webhooks.post"]).toBe(4); // the four made directly: the sync created none
  });

  it("keeps the stored webhook and deletes the duplicates created next to it", async () => {
    await addWallet();
    await sync();
    const stored = (await syncConfig())?.helius_webhook_id as string;
    const dup = await createdDirectly(OUR_URL);
    const res = await sync();
    expect(res.body.detail).toMatchObject({ webhook_id: stored, duplicates_deleted: 1 });
    expect((await fakeWebhooks()).map((h) => h.webhookID)).toEqual([stored]);
    expect((await fakeWebhooks()).map((h) => h.webhookID)).not.toContain(dup);
  });

  it("a duplicate that cannot be deleted is reported and deleted by the next run; the push still happens", async () => {
    const a = await addWallet();
    const first = await createdDirectly(OUR_URL);
    const dup = await createdDirectly(OUR_URL);
    await fake.fail("helius.webhooks.delete", { status: 500, times: 1 });
    const res = await sync();
    expect(res.status).toBe(200);
    expect(res.body.detail).toMatchObject({ webhook_id: first, duplicates_deleted: 0, duplicates_left: [dup] });
    expect((await syncConfig())?.helius_last_sync_error).toMatch(/duplicate/);
    expect((await walletRow(a.id))?.helius_sync_status).toBe("synced");
    const again = await sync();
    expect(again.body.detail).toMatchObject({ duplicates_deleted: 1 });
    expect((await fakeWebhooks()).map((h) => h.webhookID)).toEqual([first]);
    expect((await syncConfig())?.helius_last_sync_error).toBeNull();
  });

  it("deletes at most 10 duplicates per run and the rest on the next run", async () => {
    await addWallet();
    const keeper = await createdDirectly(OUR_URL);
    for (let i = 0; i < 12; i++) await createdDirectly(OUR_URL);
    const first = await sync();
    expect(first.body.detail).toMatchObject({ webhook_id: keeper, duplicates_deleted: 10 });
    expect(first.body.detail.duplicates_left).toHaveLength(2);
    expect(await fakeWebhooks()).toHaveLength(3);
    const second = await sync();
    expect(second.body.detail).toMatchObject({ webhook_id: keeper, duplicates_deleted: 2 });
    expect((await fakeWebhooks()).map((h) => h.webhookID)).toEqual([keeper]);
  });

  it("a lock left by a run that died expires; a live one makes the run skip without calling Helius", async () => {
    await addWallet();
    await env.DB.prepare("INSERT INTO job_locks (name, holder, expires_at) VALUES ('helius_sync', 'dead-run', ?)")
      .bind(new Date(Date.now() + 60_000).toISOString())
      .run();
    const busy = await sync();
    expect(busy.status).toBe(200);
    expect(busy.body).toMatchObject({ status: "skipped" });
    expect(await fake.calls()).toEqual({});
    await env.DB.prepare("UPDATE job_locks SET expires_at = ? WHERE name = 'helius_sync'")
      .bind(new Date(Date.now() - 1).toISOString())
      .run();
    const ok = await sync();
    expect(ok.body.status).toBe("ok");
    expect(await fakeWebhooks()).toHaveLength(1);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM job_locks").first<{ n: number }>()).toEqual({ n: 0 });
  });
});

describe("pickWebhooks (pure)", () => {
  const h = (webhookID: string, webhookURL: string) => ({ webhookID, webhookURL });
  it("keeps the stored webhook whatever its URL, else adopts the first at our URL; never touches others", () => {
    const hooks = [h("a", "https://us"), h("b", "https://other"), h("c", "https://us"), h("d", "https://old-us")];
    expect(pickWebhooks(hooks, "d", "https://us")).toEqual({ keeper: hooks[3], duplicates: [hooks[0], hooks[2]] });
    expect(pickWebhooks(hooks, "c", "https://us")).toEqual({ keeper: hooks[2], duplicates: [hooks[0]] });
    expect(pickWebhooks(hooks, null, "https://us")).toEqual({ keeper: hooks[0], duplicates: [hooks[2]] });
    expect(pickWebhooks(hooks, "gone", "https://us")).toEqual({ keeper: hooks[0], duplicates: [hooks[2]] });
    expect(pickWebhooks([h("b", "https://other")], null, "https://us")).toEqual({ keeper: null, duplicates: [] });
  });
});
