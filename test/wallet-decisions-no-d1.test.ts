import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { QueueBook } from "../src/pipeline/queue-book";
import { fake } from "./helpers/fake";
import { faultyD1, patchEnv } from "./helpers/faults";
import { addr, nativeBuy, tx } from "./helpers/helius";
import { bookPosition, unbookPosition } from "./helpers/queue-book";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

const sellOf = (wallet: string, mint: string, raw: bigint, sol: number, timestamp: number) => {
  const pool = addr();
  return tx({
    feePayer: wallet,
    timestamp,
    tokens: [{ mint, amount: Number(raw) / 1e6, from: wallet, to: pool }],
    natives: [{ amount: Math.round(sol * 1e9), from: pool, to: wallet }],
    changes: [{ user: wallet, mint, raw: `-${raw}`, decimals: 6 }],
  });
};

beforeEach(async () => {
  await fake.reset();
});

describe("WalletActor decisions read actor state, not D1 (issue 10)", () => {
  it("a warm actor decides a BUY and mirrors a SELL with every D1 read failing", async () => {
    const wallet = addr();
    const mint = addr();
    await insertWallet(wallet);
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const spy = await spyActor(wallet);
    // Warm: the hot state and the trade log are loaded by a first decision (another mint).
    const warm = addr();
    await fake.tokens({ mint: warm, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    await deliver([nativeBuy(wallet, warm, { sol: 1, tokens: 1000 })]);
    await settle(wallet);
    expect(spy.enqueued).toHaveLength(1);

    // The queue's book has recorded every close for longer than the mint cooldown (a book that started
    // recording within it sends the cooldown check to D1, for the closes it never saw).
    await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'book_closes_since_ms'");
    });
    // From here on the actor's D1 answers no read; its writes (the signal rows) still land.
    const d1 = faultyD1(env.DB, { match: /^\s*select/i, times: 1_000_000, message: "D1 read refused (test)" });
    const stub = env.WALLET_ACTOR.getByName(wallet);
    const restore = await patchEnv(stub, { DB: d1.binding });
    const now = Math.floor(Date.now() / 1000);
    const buy = { ...nativeBuy(wallet, mint, { sol: 1, tokens: 4000 }), timestamp: now - 2 };
    await deliver([buy]);
    await settle(wallet);
    expect(spy.enqueued.map((r) => r.token_mint)).toEqual([warm, mint]);
    expect(await signalBySignature(buy.signature)).toMatchObject({ filtered: 0, entry_usd: 50 });

    // The entry filled (the queue's book holds its position); the leader sells a quarter.
    await bookPosition({ id: `pos-nod1-${mint}`, leader: wallet, mint, leader_block_time_ms: buy.timestamp * 1000 });
    await fake.wallet({ address: wallet, token_accounts: [{ mint, amount: "3000000000", decimals: 6 }] });
    const sell = sellOf(wallet, mint, 1000_000000n, 0.3, now - 1);
    await deliver([sell]);
    await settle(wallet);
    expect(spy.exits.map((e) => [e.position_id, e.req.fraction])).toEqual([[`pos-nod1-${mint}`, 0.25]]);
    expect(await signalBySignature(sell.signature)).toMatchObject({ signal_type: "sell", filtered: 0 });

    expect(d1.thrown()).toBe(0); // no read was even tried
    expect(d1.statements.filter((q) => /^\s*select/i.test(q))).toEqual([]);
    await restore();
  });

  it("the mint cooldown after an exit comes from the queue's book (a close it recorded)", async () => {
    const wallet = addr();
    const mint = addr();
    await insertWallet(wallet);
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const spy = await spyActor(wallet);
    await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'book_closes_since_ms'");
    });
    // Another leader's copy of the mint, closed just now in the book only (D1 has no such position).
    await bookPosition({ id: `pos-cool-${mint}`, leader: addr(), mint });
    await unbookPosition(`pos-cool-${mint}`);
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ filter_reason: "mint_cooldown" });
    expect(spy.enqueued).toEqual([]);
  });

  it("an open position older than the book (unknown origin there) is still mirrored: that SELL reads D1", async () => {
    const wallet = addr();
    const mint = addr();
    await insertWallet(wallet);
    const spy = await spyActor(wallet);
    const id = `pos-legacy-${mint}`;
    await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
       VALUES (?, ?, ?, 6, 'simulation', 'open', 0.001, '1000000', 1, '1000000', ?)`,
    )
      .bind(id, wallet, mint, new Date().toISOString())
      .run();
    // As the book's seed copies it from D1: no leader, no mint, no entry order in the queue.
    await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
      new QueueBook(state.storage.sql).opened(id, 1, "1000000");
    });
    await fake.wallet({ address: wallet, token_accounts: [] });
    const sell = sellOf(wallet, mint, 1_000000n, 0.3, Math.floor(Date.now() / 1000) - 1);
    await deliver([sell]);
    await settle(wallet);
    expect(spy.exits.map((e) => e.position_id)).toEqual([id]);
    await unbookPosition(id);
  });
});
