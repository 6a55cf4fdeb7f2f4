import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { assessTokenSafety } from "../src/db/token-safety";
import { TOKEN_SAFETY_SHARDS, tokenSafetyOf, tokenSafetyShard } from "../src/pipeline/token-safety-shard";
import { fake } from "./helpers/fake";
import { faultyD1, heldD1, patchEnv } from "./helpers/faults";
import { addr, nativeBuy } from "./helpers/helius";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

const LEADERS = 5;

/** Polls a condition the test drives (no wall-clock expectation: it only bounds a stuck test). */
async function until(what: string, ok: () => Promise<boolean>) {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

/** Until the object's takeover from D1 (its first look's one read) has answered and been recorded. */
const takenOver = (stub: DurableObjectStub) =>
  until("the takeover answered", async () =>
    runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT 1 FROM meta").toArray().length > 0),
  );

beforeEach(async () => {
  await fake.reset();
});

describe("token safety per mint (issue 10)", () => {
  it("N concurrent first BUYs of one new mint by N leaders make ONE RugCheck lookup", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const leaders = Array.from({ length: LEADERS }, () => addr());
    const spies = [];
    for (const w of leaders) {
      await insertWallet(w);
      spies.push(await spyActor(w));
    }
    // Count the leaders' safety looks, so the test knows when all N are waiting on the mint.
    let looks = 0;
    for (const w of leaders)
      await runInDurableObject(env.WALLET_ACTOR.getByName(w), (instance) => {
        const i = instance as unknown as { tokenSafety: (...a: unknown[]) => Promise<unknown> };
        const real = i.tokenSafety.bind(instance);
        i.tokenSafety = (...a) => {
          looks++;
          return real(...a);
        };
      });
    // The held lookup must outlast the polling below on a loaded machine: no client timeout in this object.
    await patchEnv(tokenSafetyOf(env, mint), { UPSTREAM_TIMEOUT_MS: "60000" });
    await fake.hold("rugcheck.report");
    const buys = leaders.map((w) => nativeBuy(w, mint, { sol: 1, tokens: 1000 }));
    // Not waiting for the decisions: each delivery starts its own (issue 10), held at the lookup below.
    for (const b of buys) expect((await deliver([b], undefined, { wait: false })).status).toBe(200);
    // Every leader's decision runs at once and reaches the safety lookup while the first one is held.
    const alarms = leaders.map((w) => runDurableObjectAlarm(env.WALLET_ACTOR.getByName(w)));
    await until("all leaders looked the mint up", async () => looks >= LEADERS);
    await until("the lookup reached RugCheck", async () => (await fake.held("rugcheck.report")) >= 1);
    expect(await fake.held("rugcheck.report")).toBe(1);
    await fake.release("rugcheck.report");
    await Promise.all(alarms);
    // The actors' own alarms may have been the ones that ran: wait until every inbox is worked through.
    for (const w of leaders) await settle(w);
    expect((await fake.calls())["rugcheck.report"]).toBe(1);
    for (const [k, spy] of spies.entries()) {
      expect(spy.enqueued, leaders[k]).toHaveLength(1);
      expect(await signalBySignature(buys[k]!.signature)).toMatchObject({ filtered: 0 });
    }
  });

  it("a cached result is used within the TTL and looked up again after it", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const cfg = (await env.DB.prepare("SELECT * FROM config WHERE id = 1").first<any>()) as any;
    const config = { ...cfg, helius_transaction_types: [] };
    const stub = tokenSafetyOf(env, mint);
    const now = Date.now();
    expect(await stub.assess(mint, config, now)).toMatchObject({ status: "ok", source: "upstream" });
    expect(await stub.assess(mint, config, now + 1000)).toMatchObject({ status: "ok", source: "cache" });
    expect((await fake.calls())["rugcheck.report"]).toBe(1);
    const later = now + (config.token_cache_ttl_seconds + 1) * 1000;
    expect(await stub.assess(mint, config, later)).toMatchObject({ status: "ok", source: "upstream" });
    expect((await fake.calls())["rugcheck.report"]).toBe(2);
    // RugCheck down past the TTL: the stale result is used, with its source saying so.
    await fake.fail("rugcheck.report", { status: 500, times: -1 });
    const stale = await stub.assess(mint, config, later + (config.token_cache_ttl_seconds + 1) * 1000);
    expect(stale).toMatchObject({ status: "ok", source: "stale_cache" });
  });

  it("mints sharing an object keep their own lookups and cache rows", async () => {
    const cfg = (await env.DB.prepare("SELECT * FROM config WHERE id = 1").first<any>()) as any;
    const config = { ...cfg, helius_transaction_types: [] };
    // Two mints that hash to the same shard: each gets its own lookup, its own answer, its own cache row.
    const a = addr();
    let b = addr();
    while (tokenSafetyShard(b) !== tokenSafetyShard(a)) b = addr();
    await fake.tokens({ mint: a, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    await fake.tokens({ mint: b, price_usd: 0.002, decimals: 9, liquidity_usd: 200_000, age_hours: 100 });
    await fake.hold("rugcheck.report");
    const stub = tokenSafetyOf(env, a);
    const both = Promise.all([stub.assess(a, config), stub.assess(b, config)]);
    await until("both lookups reached RugCheck", async () => (await fake.held("rugcheck.report")) >= 2);
    await fake.release("rugcheck.report");
    expect(await both).toMatchObject([{ status: "ok" }, { status: "ok" }]);
    expect((await fake.calls())["rugcheck.report"]).toBe(2);
    expect(await stub.decimals(a)).toBe(6);
    expect(await stub.decimals(b)).toBe(9);
    const rows = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ mint: string }>("SELECT mint FROM safety ORDER BY mint").toArray(),
    );
    expect(rows.map((r) => r.mint)).toEqual(expect.arrayContaining([a, b]));
  });

  it("a first look does not wait for D1: the upstream answer decides while D1's reads are held", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const config = await loadConfig(getDb(env.DB));
    const held = heldD1(env.DB, "statements");
    const stub = tokenSafetyOf(env, mint);
    const restore = await patchEnv(stub, { DB: held.binding });
    try {
      // Before issue 10's fix the first look awaited D1's tokens row (a take-over): held here, it never answered.
      expect(await stub.assess(mint, config)).toMatchObject({ status: "ok", source: "upstream" });
      expect(held.waiting()).toBeGreaterThanOrEqual(1);
    } finally {
      held.release();
      await restore();
    }
  });

  it("a fresh result D1 already holds answers a first look when it comes before the upstream", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const config = await loadConfig(getDb(env.DB));
    // Cached in D1 before this object existed (an earlier version's path, here the D1-backed assessment).
    expect(await assessTokenSafety(env, getDb(env.DB), mint, config)).toMatchObject({ status: "ok" });
    await fake.hold("rugcheck.report");
    try {
      const stub = env.TOKEN_SAFETY.getByName(`born-after-${mint}`);
      expect(await stub.assess(mint, config)).toMatchObject({ status: "ok", source: "cache" });
      expect(await stub.decimals(mint)).toBe(6);
    } finally {
      await fake.release("rugcheck.report");
    }
  });

  it("a BUY's safety lookup starts beside its copy facts, not after them", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const wallet = addr();
    await insertWallet(wallet);
    const spy = await spyActor(wallet);
    // The copy facts (the SwapQueue's answer) held until released.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await runInDurableObject(env.WALLET_ACTOR.getByName(wallet), (instance) => {
      const i = instance as unknown as { queueEntryFacts: (...a: unknown[]) => Promise<unknown> };
      const real = i.queueEntryFacts.bind(instance);
      i.queueEntryFacts = async (...a) => {
        await gate;
        return real(...a);
      };
    });
    await fake.hold("rugcheck.report");
    try {
      const buy = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
      expect((await deliver([buy], undefined, { wait: false })).status).toBe(200);
      // Before issue 10's change the lookup waited for the facts: held, RugCheck was never asked.
      await until("the lookup reached RugCheck while the facts are held", async () => {
        return (await fake.held("rugcheck.report")) >= 1;
      });
      release();
      await fake.release("rugcheck.report");
      await settle(wallet);
      expect(spy.enqueued).toHaveLength(1);
      expect(await signalBySignature(buy.signature)).toMatchObject({ filtered: 0 });
    } finally {
      release();
      await fake.release("rugcheck.report");
    }
  });

  it("the shard of a mint is stable and within range", () => {
    const mints = Array.from({ length: 200 }, () => addr());
    const shards = new Set(mints.map(tokenSafetyShard));
    for (const s of shards) expect(s >= 0 && s < TOKEN_SAFETY_SHARDS).toBe(true);
    // 200 random mints over 32 shards: a hash that spread badly would leave most shards empty.
    expect(shards.size).toBeGreaterThan(TOKEN_SAFETY_SHARDS / 2);
    // Fixed values: a changed hash would re-home every cached mint, so it must be a deliberate change.
    expect(tokenSafetyShard("So11111111111111111111111111111111111111112")).toBe(23);
    expect(tokenSafetyShard("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")).toBe(28);
  });

  it("the first look takes D1's results over once; no later first look reads D1", async () => {
    const config = await loadConfig(getDb(env.DB));
    const [a, b] = [addr(), addr()];
    for (const m of [a, b])
      await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const stub = env.TOKEN_SAFETY.getByName(`first-looks-${a}`);
    const d1 = faultyD1(env.DB, { match: /^$/ });
    const restore = await patchEnv(stub, { DB: d1.binding });
    try {
      expect(await stub.assess(a, config)).toMatchObject({ status: "ok" });
      await takenOver(stub);
      const reads = () => d1.statements.filter((q) => /^\s*select/i.test(q));
      expect(reads()).toHaveLength(1);
      expect(await stub.assess(b, config)).toMatchObject({ status: "ok", source: "upstream" });
      expect(reads()).toHaveLength(1); // the second first look read no D1 (before: one tokens read per new mint)
    } finally {
      await restore();
    }
  });

  it("the takeover copies the recent results of the object's own shard only", async () => {
    const first = addr();
    const shard = tokenSafetyShard(first);
    const of = (same: boolean) => {
      for (;;) {
        const m = addr();
        if ((tokenSafetyShard(m) === shard) === same) return m;
      }
    };
    const [mine, old, other] = [of(true), of(true), of(false)];
    const put = (mint: string, checkedAgoMs: number) =>
      env.DB.prepare("INSERT INTO tokens (mint_address, decimals, safety_checked_at) VALUES (?, 6, ?)")
        .bind(mint, new Date(Date.now() - checkedAgoMs).toISOString())
        .run();
    await put(mine, 3_600_000);
    await put(old, 8 * 86_400_000); // past what an object keeps (7 days)
    await put(other, 3_600_000);
    await fake.tokens({ mint: first, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const stub = env.TOKEN_SAFETY.getByName(`takeover-${first}`);
    expect(await stub.assess(first, await loadConfig(getDb(env.DB)))).toMatchObject({ status: "ok" });
    await takenOver(stub);
    const held = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ mint: string }>("SELECT mint FROM safety")
        .toArray()
        .map((r) => r.mint),
    );
    expect(held).toContain(mine);
    expect(held).not.toContain(old);
    expect(held).not.toContain(other);
  });
});
