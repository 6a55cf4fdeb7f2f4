import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { api, expectErrorShape } from "./helpers/api";
import { buyRequest, mint, positionRow, queue, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, simulated_slippage_bps: 100 });
});

describe("positions API: reads", () => {
  it("lists with status, wallet and mint filters and pagination; shows one with its orders and price history", async () => {
    const m = mint("API");
    await fake.tokens({ mint: m, price_usd: 0.01, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m, { requested_usd: 20 }));
    const pid = `pos_${res.order_id}`;
    await waitFor(() => positionRow(pid));
    await runDurableObjectAlarm(env.POSITION_ACTOR.getByName(pid));

    const list = await api("GET", `/api/v1/positions?status=open&mint=${m}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, page: 1, page_size: 50 });
    expect(list.body.items[0]).toMatchObject({
      id: pid,
      status: "open",
      token_mint: m,
      mode: "simulation",
      entry_cost_usd: 20,
      scaling_levels_hit: [],
    });
    expect((await api("GET", `/api/v1/positions?status=closed&mint=${m}`)).body.total).toBe(0);
    expect((await api("GET", `/api/v1/positions?wallet=nobody&mint=${m}`)).body.total).toBe(0);
    const paged = await api("GET", "/api/v1/positions?page=1&page_size=1");
    expect(paged.body.items).toHaveLength(1);

    const one = await api("GET", `/api/v1/positions/${pid}`);
    expect(one.status).toBe(200);
    expect(one.body.orders).toHaveLength(1);
    expect(one.body.orders[0]).toMatchObject({ id: res.order_id, side: "buy", status: "filled" });
    expect(one.body.rules).toMatchObject({ stop_loss_percent: 20 });
    expect(one.body.price_history.ticks).toBeGreaterThanOrEqual(1);

    const orders = await api("GET", `/api/v1/orders?position_id=${pid}&side=buy&status=filled`);
    expect(orders.status).toBe(200);
    expect(orders.body.total).toBe(1);
    expect((await api("GET", `/api/v1/orders?position_id=${pid}&side=sell`)).body.total).toBe(0);
  });

  it("answers 404 for an unknown position and 400 for bad filters", async () => {
    const r = await api("GET", "/api/v1/positions/pos_nope");
    expect(r.status).toBe(404);
    expectErrorShape(r.body, "NotFound");
    const bad = await api("GET", "/api/v1/positions?status=maybe");
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/status/);
    const badOrders = await api("GET", "/api/v1/orders?side=hold");
    expect(badOrders.status).toBe(400);
    expect(badOrders.body.detail).toMatch(/side/);
    const badPage = await api("GET", "/api/v1/orders?page_size=1000");
    expect(badPage.status).toBe(400);
  });
});

describe("positions API: manual exit", () => {
  it("sells a percent of what remains at URGENT at the market price, then the rest; 409 once closed", async () => {
    const m = mint("MAN");
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    const { id } = await openPosition(m, { entry_price_usd: 1 });
    const part = await api("POST", `/api/v1/positions/${id}/exit`, { percent: 40 });
    expect(part.status).toBe(202);
    expect(part.body).toMatchObject({ position_id: id, amount: "400000000", percent: 40 });
    await waitFor(async () => ((await positionRow(id))?.current_amount === "600000000" ? true : null));
    const [o] = await ordersOf(id);
    expect(o).toMatchObject({
      priority: "urgent",
      reason: "manual",
      status: "filled",
      executed_in_amount: "400000000",
    });
    expect(o?.executed_price_usd).toBeCloseTo(1.98, 10);

    const rest = await api("POST", `/api/v1/positions/${id}/exit`);
    expect(rest.status).toBe(202);
    expect(rest.body.amount).toBe("600000000");
    const closed = await waitFor(async () => ((await positionRow(id))?.status === "closed" ? positionRow(id) : null));
    expect(closed).toMatchObject({ exit_reason: "manual", current_amount: "0" });
    expect(closed?.realized_pnl_usd).toBeCloseTo(1000 * 1.98 - 1000, 6);

    const after = await api("POST", `/api/v1/positions/${id}/exit`, { percent: 10 });
    expect(after.status).toBe(409);
    expectErrorShape(after.body, "Conflict");
  });

  it("validates the percent and answers 404 for an unknown position", async () => {
    const { id } = await openPosition(mint("MANV"));
    for (const body of [{ percent: 0 }, { percent: 150 }, { percent: "all" }, { pct: 5 }]) {
      const r = await api("POST", `/api/v1/positions/${id}/exit`, body);
      expect(r.status).toBe(400);
      expectErrorShape(r.body, "ValidationError");
    }
    expect(await ordersOf(id)).toHaveLength(0);
    const unknown = await api("POST", "/api/v1/positions/pos_unknown/exit", { percent: 50 });
    expect(unknown.status).toBe(404);
  });
});

describe("positions API: strategy override", () => {
  it("accepts a valid override and answers the merged rules; the override reaches D1", async () => {
    const { id } = await openPosition(mint("OVR"));
    const r = await api("PATCH", `/api/v1/positions/${id}/strategy`, {
      stop_loss_percent: 10,
      scaling_levels: [{ multiple: 1.5, sell_percent: 30 }],
    });
    expect(r.status).toBe(200);
    expect(r.body.rules).toMatchObject({
      stop_loss_percent: 10,
      trailing_stop_percent: 15,
      scaling_levels: [{ multiple: 1.5, sell_percent: 30 }],
    });
    const row = await positionRow(id);
    expect(JSON.parse(String(row?.strategy_override))).toMatchObject({ stop_loss_percent: 10 });
  });

  it("rejects bad overrides with a 400 naming the field, and leaves the stored override unchanged", async () => {
    const { id } = await openPosition(mint("OVB"));
    const cases: [unknown, RegExp][] = [
      [{ stop_loss_percent: 150 }, /stop_loss_percent/],
      [{ unknown_rule: 1 }, /unknown_rule|body/],
      [
        {
          scaling_levels: [
            { multiple: 2, sell_percent: 80 },
            { multiple: 3, sell_percent: 40 },
          ],
        },
        /scaling_levels/,
      ],
      [
        {
          scaling_levels: [
            { multiple: 3, sell_percent: 10 },
            { multiple: 2, sell_percent: 10 },
          ],
        },
        /scaling_levels/,
      ],
      [{ trailing_stop_percent: null }, /trailing_activation_percent/],
    ];
    for (const [body, field] of cases) {
      const r = await api("PATCH", `/api/v1/positions/${id}/strategy`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(r.body, "ValidationError");
      expect(r.body.detail).toMatch(field);
    }
    expect((await positionRow(id))?.strategy_override).toBeNull();
  });

  it("answers 409 for a closed position and 404 for an unknown one", async () => {
    const { id, actor } = await openPosition(mint("OVC"));
    await actor.applyFill({
      order_id: `close_${id}`,
      sold_amount: "1000000000",
      proceeds_usd: 900,
      price_usd: 0.9,
      reason: "manual",
    });
    await waitFor(async () => ((await positionRow(id))?.status === "closed" ? true : null));
    const r = await api("PATCH", `/api/v1/positions/${id}/strategy`, { stop_loss_percent: 10 });
    expect(r.status).toBe(409);
    const u = await api("PATCH", "/api/v1/positions/pos_unknown/strategy", { stop_loss_percent: 10 });
    expect(u.status).toBe(404);
  });
});
