/**
 * Issue 9 item 11: exposure is computed one way (src/domain/exposure.ts, cost of what remains), by the
 * WalletActor's early check and by the SwapQueue's authoritative one. Real actors; alarms driven explicitly.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { bookExposure, remainingCostUsd } from "../src/domain/exposure";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { drainQueue } from "./helpers/drive";
import { resetBreaker, setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { ordersOf, positionsOf, signalsOf } from "./helpers/rows";
import { deliver, insertWallet, settle } from "./helpers/wallet-actor";

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, safety_check_enabled: false, max_open_positions: 100 });
});

describe("exposure (pure)", () => {
  it("counts the entry cost of what remains; unreadable amounts count the full cost", () => {
    const p = { entry_cost_usd: 100, entry_amount: "1000000000", current_amount: "400000000" };
    expect(remainingCostUsd(p)).toBeCloseTo(40, 9);
    expect(remainingCostUsd({ ...p, current_amount: "0" })).toBe(0);
    expect(remainingCostUsd({ ...p, current_amount: "1000000000" })).toBe(100);
    expect(remainingCostUsd({ ...p, current_amount: "n/a" })).toBe(100);
    expect(remainingCostUsd({ ...p, entry_amount: "0" })).toBe(100);
    const book = bookExposure([p, { ...p, current_amount: "1000000000" }], [50, 25]);
    expect(book.open_positions).toBe(4);
    expect(book.exposure_usd).toBeCloseTo(40 + 100 + 75, 9);
  });
});

describe("exposure cap", () => {
  it("a partly sold position no longer blocks a valid entry as max_exposure", async () => {
    // A position that cost $100, 60 % sold: $40 still at risk. Cap $100, the next entry is the fixed $50.
    await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, sold_amount, opened_at)
       VALUES ('pos-partly-sold', ?, ?, 6, 'simulation', 'open', 0.1, '1000000000', 100, '400000000', '600000000', ?)`,
    )
      .bind(randomAddress(), randomAddress(), new Date().toISOString())
      .run();
    await setConfig({ max_total_exposure_usd: 100, fixed_position_usd: 50 });
    const leader = randomAddress();
    await insertWallet(leader);
    const mint = randomAddress();
    await fake.tokens({ mint, price_usd: 0.002, liquidity_usd: 400_000, age_hours: 96 });
    const buy = buildSwapTx({
      signature: fakeSignature(`exposure-buy-${mint}`),
      wallet: leader,
      mint,
      side: "buy",
      quote_amount: 1,
      token_amount: 50_000,
    });
    expect((await deliver([buy])).body.accepted).toBe(1);
    await settle(leader);
    const [signal] = await signalsOf(mint);
    expect(signal).toMatchObject({ filtered: 0, filter_reason: null, entry_usd: 50 });

    // The queue's check at execution agrees: the entry fills and opens.
    await drainQueue();
    const [order] = await ordersOf(mint);
    expect(order).toMatchObject({ side: "buy", status: "filled" });
    expect(await positionsOf(mint)).toHaveLength(1);
  });

  it("the breaker's operator snapshot reports the same exposure: a partly sold position counts what remains", async () => {
    await env.DB.prepare("UPDATE positions SET status = 'closed' WHERE status != 'closed'").run();
    await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, sold_amount, opened_at)
       VALUES ('pos-snapshot', ?, ?, 6, 'simulation', 'open', 0.1, '1000000000', 100, '250000000', '750000000', ?)`,
    )
      .bind(randomAddress(), randomAddress(), new Date().toISOString())
      .run();
    const on = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "exposure snapshot" });
    expect(on.status).toBe(200);
    expect(on.body.recent_events[0].metrics_snapshot).toMatchObject({ open_positions: 1, open_exposure_usd: 25 });
    await resetBreaker();
  });
});
