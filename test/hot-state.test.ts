import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runMinuteJobs } from "../src/jobs/minute";
import { pushHotState } from "../src/pipeline/wallet-hot-state";
import { api } from "./helpers/api";
import { fake } from "./helpers/fake";
import { faultyD1, faultyNamespace, patchEnv } from "./helpers/faults";
import { addr, nativeBuy } from "./helpers/helius";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

const d1Version = async () =>
  (await env.DB.prepare("SELECT version FROM hot_state WHERE id = 1").first<{ version: number }>())?.version ?? 0;
const actorVersion = (address: string) => env.WALLET_ACTOR.getByName(address).hotStateVersion();
/** The D1 reads a decision made before the hot state: config, breaker, the wallet row. */
const HOT_READS = /from "(config|circuit_breaker_events|wallets|hot_state)"/i;

async function warmLeader() {
  const wallet = addr();
  const mint = addr();
  await insertWallet(wallet);
  await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  const spy = await spyActor(wallet);
  const first = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
  expect((await deliver([first])).status).toBe(200);
  await settle(wallet);
  expect(spy.enqueued).toHaveLength(1);
  return { wallet, spy };
}

beforeEach(async () => {
  await fake.reset();
});
afterEach(async () => {
  await api("PATCH", "/api/v1/config", { min_leader_trade_sol: 0.1 });
});

describe("hot state (issue 10): the trade path decides from actor state", () => {
  it("D1's version is bumped by every write the actors cache: config, breaker, wallets, strategies", async () => {
    // Guards the triggers: a migration that rebuilds one of these tables drops its trigger silently.
    const writes = [
      "UPDATE config SET max_position_usd = max_position_usd WHERE id = 1",
      `INSERT INTO wallets (address, label) VALUES ('${addr()}', 'hot')`,
      "UPDATE wallets SET is_active = is_active WHERE label = 'hot'",
      "DELETE FROM wallets WHERE label = 'hot'",
      "INSERT INTO exit_strategies (name) VALUES ('hot-state-trigger')",
      "UPDATE exit_strategies SET description = 'x' WHERE name = 'hot-state-trigger'",
      "DELETE FROM exit_strategies WHERE name = 'hot-state-trigger'",
      "INSERT INTO circuit_breaker_events (event_type, \"trigger\", reason) VALUES ('reset', 'manual', 'test')",
    ];
    for (const w of writes) {
      const before = await d1Version();
      await env.DB.prepare(w).run();
      expect(await d1Version(), w).toBe(before + 1);
    }
    // Bookkeeping columns of a wallet do not invalidate anything.
    const id = await insertWallet(addr());
    const before = await d1Version();
    await env.DB.prepare("UPDATE wallets SET last_signal_at = ?, helius_sync_status = 'synced' WHERE id = ?")
      .bind(new Date().toISOString(), id)
      .run();
    expect(await d1Version()).toBe(before);
  });

  it("the config trigger bumps on every column the actors cache, never on the Helius sync's bookkeeping", async () => {
    const bookkeeping = [
      "helius_webhook_id",
      "helius_last_sync_at",
      "helius_last_sync_status",
      "helius_last_sync_error",
      "updated_at",
    ];
    // What the helius sync writes (src/jobs/helius-sync.ts), and updated_at alone: no bump.
    for (const col of bookkeeping) {
      const before = await d1Version();
      await env.DB.prepare(`UPDATE config SET ${col} = ${col} WHERE id = 1`).run();
      expect(await d1Version(), col).toBe(before);
    }
    const before = await d1Version();
    await env.DB.prepare(
      "UPDATE config SET helius_last_sync_status = 'ok', helius_last_sync_error = NULL, helius_last_sync_at = ? WHERE id = 1",
    )
      .bind(new Date().toISOString())
      .run();
    expect(await d1Version()).toBe(before);
    // Every other column bumps (a column added to config without its trigger entry fails here).
    const cols = (await env.DB.prepare("SELECT name FROM pragma_table_info('config')").all<{ name: string }>()).results
      .map((c) => c.name)
      .filter((c) => c !== "id" && !bookkeeping.includes(c));
    expect(cols.length).toBeGreaterThan(60);
    for (const col of cols) {
      const v = await d1Version();
      await env.DB.prepare(`UPDATE config SET "${col}" = "${col}" WHERE id = 1`).run();
      expect(await d1Version(), col).toBe(v + 1);
    }
  });

  it("a config change reaches a warm actor before its next decision, which reads no config, breaker or wallet from D1", async () => {
    const { wallet, spy } = await warmLeader();
    const res = await api("PATCH", "/api/v1/config", { min_leader_trade_sol: 5 });
    expect(res.status).toBe(200);
    // The answer came after the push: the actor already holds D1's version.
    expect(await actorVersion(wallet)).toBe(await d1Version());

    // From here any read of the hot tables by the actor throws: the decision must come from its own state.
    const db = faultyD1(env.DB, { match: HOT_READS, times: 1_000 });
    const restore = await patchEnv(env.WALLET_ACTOR.getByName(wallet), { DB: db.binding });
    const second = nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 });
    expect((await deliver([second])).status).toBe(200);
    await settle(wallet);
    await restore();
    expect(db.thrown()).toBe(0);
    expect(spy.enqueued).toHaveLength(1); // the 1 SOL trade is now below the 5 SOL minimum
    expect(await signalBySignature(second.signature)).toMatchObject({
      filtered: 1,
      filter_reason: "leader_trade_too_small",
    });
  });

  it("a failed push is owed: the actor stays behind until the minute cron re-pushes it", async () => {
    const { wallet, spy } = await warmLeader();
    const held = await actorVersion(wallet);
    // A write made outside the API bumps the version; its push fails once.
    await env.DB.prepare("UPDATE config SET min_leader_trade_sol = 5 WHERE id = 1").run();
    const ns = faultyNamespace(env.WALLET_ACTOR, { method: "applyHotState" });
    const res = await pushHotState({ DB: env.DB, WALLET_ACTOR: ns.binding }, { addresses: [wallet] });
    expect(res.failed).toEqual([wallet]);
    expect(ns.thrown()).toBe(1);
    expect(await actorVersion(wallet)).toBe(held);

    const minute = await runMinuteJobs(env, Date.now());
    expect(minute.detail?.hot_state).toMatchObject({ failed: 0 });
    expect(await actorVersion(wallet)).toBe(await d1Version());
    const later = nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 });
    await deliver([later]);
    await settle(wallet);
    expect(spy.enqueued).toHaveLength(1);
    expect(await signalBySignature(later.signature)).toMatchObject({ filter_reason: "leader_trade_too_small" });
    // Confirmed: nothing is owed any more.
    const again = await runMinuteJobs(env, Date.now());
    expect(again.detail?.hot_state).toMatchObject({ pushed: 0, failed: 0 });
  });

  it("an older snapshot never replaces a newer one", async () => {
    const { wallet } = await warmLeader();
    const stub = env.WALLET_ACTOR.getByName(wallet);
    const v = (await stub.hotStateVersion()) as number;
    await runInDurableObject(stub, async (instance) => {
      const i = instance as unknown as { applyHotState: (s: unknown) => Promise<{ applied: boolean }> };
      expect((await i.applyHotState({ version: v - 1, data: {} })).applied).toBe(false);
    });
    expect(await stub.hotStateVersion()).toBe(v);
  });
});
