/**
 * The whole issue-4/5 pipeline with the real actors and no test doubles: Helius delivery → WalletActor
 * (dedupe, classify, gates, safety from the fake RugCheck/DexScreener) → SwapQueue (simulated fill at the
 * PriceFeed price + slippage) → PositionActor (open) → leader SELL → CRITICAL mirror exit → fill.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { ordersOf, positionsOf, signalsOf } from "./helpers/rows";
import { deliver } from "./helpers/wallet-actor";

async function watchedWallet() {
  const res = await api("POST", "/api/v1/wallets", { address: randomAddress(), label: "e2e" });
  expect(res.status).toBe(201);
  return res.body.address as string;
}

beforeEach(async () => {
  await fake.reset();
  expect((await api("PATCH", "/api/v1/config", { swap_min_spacing_ms: 0 })).status).toBe(200);
});

describe("webhook → open simulated position → mirror exit", () => {
  it("a safe BUY ends as one filled order and one open position with consistent numbers", async () => {
    const leader = await watchedWallet();
    const mint = randomAddress();
    await fake.tokens({ mint, price_usd: 0.002, liquidity_usd: 400_000, age_hours: 96, top10_holder_percent: 30 });
    const buy = buildSwapTx({
      signature: fakeSignature(`e2e-buy-${mint}`),
      wallet: leader,
      mint,
      side: "buy",
      quote_amount: 1.5,
      token_amount: 100_000,
      fee_transfer_lamports: 113_463,
    });

    const res = await deliver([buy]);
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0, rejected: 0 } });

    // Both rows are written behind the fill (issue 10), each on its own: wait for the two.
    const [position] = await waitFor(async () => {
      const ps = await positionsOf(mint);
      const filled = (await ordersOf(mint)).some((o) => o.status === "filled");
      return ps.length && filled ? ps : null;
    });
    const [signal] = await signalsOf(mint);
    expect(signal).toMatchObject({ signal_type: "buy", filtered: 0, sol_amount: 1.5, token_amount: "100000000000" });
    expect(signal.safety_score).toBe(1);
    const orders = await ordersOf(mint);
    expect(orders).toHaveLength(1);
    const [order] = orders;
    expect(order).toMatchObject({
      side: "buy",
      priority: "normal",
      status: "filled",
      reason: "entry",
      signal_id: signal.id,
      mode: "simulation",
    });
    // default sizing: fixed $50; fill = Jupiter price × (1 + 100 bps simulated slippage)
    expect(order.executed_price_usd).toBeCloseTo(0.002 * 1.01, 12);
    expect(position).toMatchObject({
      status: "open",
      signal_id: signal.id,
      entry_order_id: order.id,
      source_wallet_address: leader,
      mode: "simulation",
    });
    expect(position.entry_cost_usd).toBeCloseTo(50, 6);
    expect(position.entry_price_usd).toBeCloseTo(0.00202, 12);
    const tokens = Number(position.entry_amount) / 1e6;
    expect(tokens * position.entry_price_usd).toBeCloseTo(50, 3); // amount × price = cost
    expect(position.current_amount).toBe(position.entry_amount);
    expect(order.executed_out_amount).toBe(position.entry_amount);
  });

  it("the same delivery sent twice, and twice concurrently, makes one signal and one position", async () => {
    const leader = await watchedWallet();
    const [m1, m2] = [randomAddress(), randomAddress()];
    await fake.tokens(
      { mint: m1, price_usd: 0.01, liquidity_usd: 400_000, age_hours: 96 },
      { mint: m2, price_usd: 0.01, liquidity_usd: 400_000, age_hours: 96 },
    );
    const tx1 = buildSwapTx({
      signature: fakeSignature(`dup-seq-${m1}`),
      wallet: leader,
      mint: m1,
      side: "buy",
      quote_amount: 1,
      token_amount: 15_000,
    });
    const tx2 = buildSwapTx({
      signature: fakeSignature(`dup-con-${m2}`),
      wallet: leader,
      mint: m2,
      side: "buy",
      quote_amount: 1,
      token_amount: 15_000,
    });

    expect((await deliver([tx1])).body.accepted).toBe(1);
    expect((await deliver([tx1])).body).toMatchObject({ accepted: 0, duplicates: 1 });
    const both = await Promise.all([deliver([tx2]), deliver([tx2])]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both.reduce((s, r) => s + r.body.accepted, 0)).toBe(1);
    expect(both.reduce((s, r) => s + r.body.duplicates, 0)).toBe(1);

    for (const m of [m1, m2]) {
      await waitFor(async () => (await positionsOf(m)).length === 1 && (await ordersOf(m)).length === 1);
      // give any stray duplicate a chance to show up before asserting it does not exist
      await new Promise((r) => setTimeout(r, 300));
      expect(await signalsOf(m)).toHaveLength(1);
      expect(await ordersOf(m)).toHaveLength(1);
      expect(await positionsOf(m)).toHaveLength(1);
    }
  });

  it("the leader selling half mirrors half of ours at CRITICAL; another wallet's sell touches nothing", async () => {
    const leader = await watchedWallet();
    const other = await watchedWallet();
    const mint = randomAddress();
    await fake.tokens({ mint, price_usd: 0.004, liquidity_usd: 400_000, age_hours: 96 });
    await deliver([
      buildSwapTx({
        signature: fakeSignature(`m-buy-${mint}`),
        wallet: leader,
        mint,
        side: "buy",
        quote_amount: 2,
        token_amount: 80_000,
      }),
    ]);
    const [opened] = await waitFor(async () => {
      const ps = await positionsOf(mint);
      return ps.length ? ps : null;
    });

    // another watched wallet sells the same token: not our leader, no exit
    await deliver([
      buildSwapTx({
        signature: fakeSignature(`o-sell-${mint}`),
        wallet: other,
        mint,
        side: "sell",
        quote_amount: 1,
        token_amount: 10_000,
      }),
    ]);
    // our leader sells half of the 80 000 it bought; the chain then shows the other half still held
    await fake.wallet({ address: leader, token_accounts: [{ mint, amount: "40000000000", decimals: 6 }] });
    await deliver([
      buildSwapTx({
        signature: fakeSignature(`m-sell-${mint}`),
        wallet: leader,
        mint,
        side: "sell",
        quote_amount: 1,
        token_amount: 40_000,
      }),
    ]);

    const exit = await waitFor(async () =>
      (await ordersOf(mint)).find((o) => o.reason === "mirror_exit" && o.status === "filled"),
    );
    expect(exit).toMatchObject({ side: "sell", priority: "critical", position_id: opened.id });
    const after = await waitFor(async () => {
      const [p] = await positionsOf(mint);
      return p.current_amount !== p.entry_amount ? p : null;
    });
    const half = BigInt(opened.entry_amount) / 2n;
    expect(BigInt(after.current_amount)).toBeGreaterThanOrEqual(half - 1n);
    expect(BigInt(after.current_amount)).toBeLessThanOrEqual(half + 1n);
    expect(after.status).toBe("open");
    expect(after.realized_pnl_usd).toBeLessThan(0); // sold at price − slippage after buying at price + slippage
    expect((await ordersOf(mint)).filter((o) => o.side === "sell")).toHaveLength(1);
    const sells = (await signalsOf(mint)).filter((s) => s.signal_type === "sell");
    expect(sells).toHaveLength(2);
  });

  it("caps hold across leaders buying at the same moment: the queue refuses what the book cannot take", async () => {
    // a clean book for this test: earlier tests' positions closed by hand
    await env.DB.prepare("UPDATE positions SET status = 'closed', closed_at = ? WHERE status != 'closed'")
      .bind(new Date().toISOString())
      .run();
    // The queue judges the caps from its own book (issue 10): the same positions closed there by hand.
    await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
      state.storage.sql.exec("UPDATE book SET closed = 1");
    });
    expect((await api("PATCH", "/api/v1/config", { max_open_positions: 2, max_total_exposure_usd: 1000 })).status).toBe(
      200,
    );
    const leaders = [await watchedWallet(), await watchedWallet(), await watchedWallet()];
    const mints = leaders.map(() => randomAddress());
    await fake.tokens(...mints.map((mint) => ({ mint, price_usd: 0.01, liquidity_usd: 400_000, age_hours: 96 })));
    const txs = leaders.map((wallet, i) =>
      buildSwapTx({
        signature: fakeSignature(`cap-${mints[i]}`),
        wallet,
        mint: mints[i] as string,
        side: "buy",
        quote_amount: 1,
        token_amount: 15_000,
      }),
    );
    expect((await deliver(txs)).body.accepted).toBe(3);

    const decided = await waitFor(async () => {
      const sigs = (await Promise.all(mints.map(signalsOf))).flat();
      const orders = (await Promise.all(mints.map(ordersOf))).flat();
      const settled =
        sigs.length === 3 &&
        sigs.every((sg) => sg.processed_at) &&
        orders.every((o) => ["filled", "cancelled"].includes(o.status));
      return settled ? { sigs, orders } : null;
    });
    // A filled order's position row is written behind its open, itself behind the fill (issue 10).
    const openPositions = async () =>
      (await Promise.all(mints.map(positionsOf))).flat().filter((p) => p.status === "open");
    await waitFor(async () => (await openPositions()).length >= 2);
    expect(await openPositions()).toHaveLength(2);
    const refused = decided.sigs.filter((sg) => sg.filtered);
    expect(refused).toHaveLength(1);
    expect(refused[0].filter_reason).toBe("max_open_positions");
    // whoever refused it (its WalletActor early, or the queue at execution), no order of it filled
    expect(decided.orders.filter((o) => o.status === "filled")).toHaveLength(2);
    await api("PATCH", "/api/v1/config", { max_open_positions: 10 });
  });
});
