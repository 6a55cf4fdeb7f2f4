import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { api } from "./helpers/api";
import { buyRequest, mint, orderRow, queue, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, simulated_slippage_bps: 100 });
});

describe("orders: execution fields (issue 16)", () => {
  it("a simulated entry fill records its execution duration; the live-only fields stay null", async () => {
    const m = mint("OFENTRY");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await runDurableObjectAlarm(queue());
    const o = await waitFor(async () => {
      const r = await orderRow(res.order_id);
      return r?.status === "filled" ? r : null;
    });
    expect(typeof o.execution_duration_ms).toBe("number");
    expect(o.execution_duration_ms as number).toBeGreaterThanOrEqual(0);
    expect(o).toMatchObject({
      scaling_level: null,
      quote_context_slot: null,
      landed_slot: null,
      priority_fee_lamports: null,
    });
  });

  it("a scaling exit records which level fired (as in scaling_levels_hit), in D1 and the API", async () => {
    const m = mint("OFSCALE");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 3 }); // crosses 2x and 3x on one tick: the 2x and 3x levels, in that order
    await runDurableObjectAlarm(actor);
    const os = await waitFor(async () => {
      const rows = await ordersOf(id);
      return rows.length >= 2 && rows.every((r) => r.status === "filled") ? rows : null;
    });
    const byKey = Object.fromEntries(os.map((r) => [r.idempotency_key, r]));
    expect(byKey[`${id}:scaling_out:x2`]).toMatchObject({ reason: "scaling_out", scaling_level: 2 });
    expect(byKey[`${id}:scaling_out:x3`]).toMatchObject({ reason: "scaling_out", scaling_level: 3 });
    for (const r of os) expect(typeof r.execution_duration_ms).toBe("number");
    const listed = await api("GET", `/api/v1/orders?position_id=${id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((r: { scaling_level: number }) => r.scaling_level).sort()).toEqual([2, 3]);
  });
});
