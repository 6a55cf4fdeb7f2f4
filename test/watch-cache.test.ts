import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { resetWatchCache } from "../src/pipeline/watch-cache";
import { api } from "./helpers/api";
import { fake } from "./helpers/fake";
import { faultyD1 } from "./helpers/faults";
import { addr, nativeBuy } from "./helpers/helius";
import { insertWallet, postInProcess, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

async function leader() {
  const wallet = addr();
  const mint = addr();
  const id = await insertWallet(wallet);
  await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  const spy = await spyActor(wallet);
  return { wallet, mint, id, spy };
}

/** A delivery whose only job is to make this isolate load its watch cache (no wallet involved). */
async function loadCache() {
  resetWatchCache();
  const res = await postInProcess([nativeBuy(addr(), addr(), { sol: 1, tokens: 1000 })]);
  expect(res.body).toMatchObject({ ignored: 1 });
}

const alwaysFailing = () => faultyD1(env.DB, { match: /./, times: 1_000_000, message: "D1 unreachable (test)" });

beforeEach(async () => {
  await fake.reset();
});

describe("webhook route: isolate watch cache (issue 10)", () => {
  it("a cached fee payer is routed with D1 unreachable for the route, and decided", async () => {
    const { wallet, mint, spy } = await leader();
    await loadCache();
    const d1 = alwaysFailing();
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const res = await postInProcess([t], { ...env, DB: d1.binding });
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, ignored: 0 } });
    // Nothing about the watch list was asked of D1 before the ack.
    expect(d1.statements.filter((q) => /wallets/i.test(q))).toEqual([]);
    await settle(wallet);
    expect(spy.enqueued).toHaveLength(1);
    expect(await signalBySignature(t.signature)).toMatchObject({ signal_type: "buy", wallet_address: wallet });
  });

  it("without the cache the same delivery reads D1 (and fails over to a retry when D1 is down)", async () => {
    const { wallet, mint } = await leader();
    resetWatchCache();
    const res = await postInProcess([nativeBuy(wallet, mint, { sol: 1, tokens: 1000 })], {
      ...env,
      DB: alwaysFailing().binding,
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await env.WALLET_ACTOR.getByName(wallet).inbox()).toEqual([]);
  });

  it("a wallet added after the cache was loaded still gets its first delivery", async () => {
    await loadCache();
    const { wallet, mint, id, spy } = await leader();
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    expect((await postInProcess([t])).body).toMatchObject({ accepted: 1, ignored: 0 });
    await settle(wallet);
    expect(spy.enqueued).toHaveLength(1);
    expect(await signalBySignature(t.signature)).toMatchObject({ wallet_id: id });
    // Learnt on the miss: the next one needs no D1 on the route.
    const next = nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 });
    expect((await postInProcess([next], { ...env, DB: alwaysFailing().binding })).body).toMatchObject({ accepted: 1 });
  });

  it("a wallet deleted behind the cache (no push reached its actor) is ignored: the actor confirms from D1", async () => {
    const { wallet, mint, id } = await leader();
    await loadCache();
    await env.DB.prepare("DELETE FROM wallets WHERE id = ?").bind(id).run();
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    expect((await postInProcess([t])).body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(await env.WALLET_ACTOR.getByName(wallet).inbox()).toEqual([]);
    // The route forgot it: the next delivery takes the D1 path, which ignores it too.
    const d1 = faultyD1(env.DB, { match: /^$/ });
    expect(
      (await postInProcess([nativeBuy(wallet, mint, { sol: 1, tokens: 1000 })], { ...env, DB: d1.binding })).body,
    ).toMatchObject({ ignored: 1 });
    expect(d1.statements.some((q) => /from wallets/i.test(q))).toBe(true);
  });

  it("deleted then re-added through the API: ignored while gone, accepted under the new id after", async () => {
    const { wallet, mint, id } = await leader();
    await loadCache();
    expect((await api("DELETE", `/api/v1/wallets/${id}`)).status).toBe(204);
    expect((await postInProcess([nativeBuy(wallet, mint, { sol: 1, tokens: 1000 })])).body).toMatchObject({
      ignored: 1,
    });

    // Re-added while the route still holds the old id (cache reloaded before the deletion was seen).
    await loadCache();
    const created = await api("POST", "/api/v1/wallets", { address: wallet });
    expect(created.status).toBe(201);
    const newId = created.body.id as number;
    expect(newId).not.toBe(id);
    await spyActor(wallet);
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    expect((await postInProcess([t])).body).toMatchObject({ accepted: 1 });
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ wallet_id: newId });
  });

  it("stale cache, old id: the actor's pushed hot state names the new id and the row takes it", async () => {
    const { wallet, mint, id } = await leader();
    await loadCache(); // caches the first id
    expect((await api("DELETE", `/api/v1/wallets/${id}`)).status).toBe(204);
    const created = await api("POST", "/api/v1/wallets", { address: wallet });
    const newId = created.body.id as number;
    await spyActor(wallet);
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const d1 = faultyD1(env.DB, { match: /^$/ });
    expect((await postInProcess([t], { ...env, DB: d1.binding })).body).toMatchObject({ accepted: 1 });
    expect(d1.statements.filter((q) => /wallets/i.test(q))).toEqual([]); // routed on the stale entry
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ wallet_id: newId });
  });
});
