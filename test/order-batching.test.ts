import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { buyRequest, mint, orderRow, queue, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, heldD1, patchEnv } from "./helpers/faults";

/**
 * Issue 10: the SwapQueue's D1 rows go behind its decisions in as few D1 calls as it can — a simulated entry's
 * intent and fill in one batch, and the rows of orders decided while a write is in flight in the next one, not
 * one call each (each D1 call costs about as much CPU as a batch of ten statements, docs/perf-ingest.md).
 */
beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({
    swap_min_spacing_ms: 0,
    simulated_slippage_bps: 100,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
  });
});

const filled = (id: string) => waitFor(async () => (await orderRow(id))?.status === "filled");
const ordersCalls = (calls: string[][]) => calls.filter((c) => c.some((q) => /^insert into "orders"/i.test(q)));
/** Every order filled in the queue and its position opened (only the D1 rows still owed). */
const filledInQueue = (ids: string[]) =>
  runInDurableObject(queue(), (_i, state) => {
    const sql = state.storage.sql;
    const done = ids.every(
      (id) => sql.exec<{ state: string }>("SELECT state FROM queue WHERE order_id = ?", id).one().state === "done",
    );
    const opening = sql
      .exec("SELECT 1 FROM owed WHERE state = 'owed' AND step IN ('open_position', 'apply_fill')")
      .toArray().length;
    return done && opening === 0;
  });

describe("SwapQueue write-behind batching", () => {
  it("an entry enqueued with no run on writes its intent and its fill to D1 in one batch", async () => {
    const warm = mint("WARM");
    await fake.tokens({ mint: warm, price_usd: 0.002, decimals: 6 });
    await filled((await queue().enqueue(buyRequest(warm))).order_id); // hot state and book loaded

    const m = mint("ONE");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
    const d1 = faultyD1(env.DB, { match: /^$/ });
    const restore = await patchEnv(queue(), { DB: d1.binding });
    try {
      const { order_id } = await queue().enqueue(buyRequest(m));
      await filled(order_id);
      const calls = ordersCalls(d1.calls);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.some((q) => /^update "orders"/i.test(q))).toBe(true);
    } finally {
      await restore();
    }
  });

  it("entries decided while a write is in flight share the next batch", async () => {
    const warm = mint("WARM");
    await fake.tokens({ mint: warm, price_usd: 0.002, decimals: 6 });
    await filled((await queue().enqueue(buyRequest(warm))).order_id);

    const held = heldD1(env.DB, "batches");
    const d1 = faultyD1(held.binding, { match: /^$/ });
    const restore = await patchEnv(queue(), { DB: d1.binding });
    try {
      const mints = Array.from({ length: 6 }, (_, i) => mint(`BURST${i}`));
      for (const m of mints) await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
      const first = await queue().enqueue(buyRequest(mints[0] as string));
      // The first entry's rows are in flight (held); the others are decided and filled meanwhile.
      await waitFor(async () => held.waiting() >= 1);
      const rest = await Promise.all(mints.slice(1).map((m) => queue().enqueue(buyRequest(m))));
      const ids = [first.order_id, ...rest.map((r) => r.order_id)];
      await waitFor(() => filledInQueue(ids));
      expect(ordersCalls(d1.calls)).toHaveLength(1);
      held.release();
      for (const id of ids) await filled(id);
      // One batch for the first, one for the five decided behind it.
      expect(ordersCalls(d1.calls)).toHaveLength(2);
    } finally {
      held.release();
      await restore();
    }
  });
});
