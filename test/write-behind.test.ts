import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { orderIntentInsert } from "../src/db/orders-store";
import { positionUpsert } from "../src/db/positions-store";
import { positionIdFor } from "../src/domain/position";
import { orderIntentRow, runBatch } from "../src/pipeline/order-write-behind";
import { buyRequest, mint, orderRow, positionRow, queue, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, patchEnv, patchWriter } from "./helpers/faults";
import { holdQueue, owedSteps, stepQueue } from "./helpers/queue-steps";

/**
 * Issue 10 (A): the SwapQueue and the PositionActor decide from their own storage; the D1 rows (orders,
 * positions, signal outcomes) are written behind the decision, owed in the same storage write, retried until
 * written, and never moved backwards by a late write. Every queue run is driven explicitly.
 */
beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ simulated_slippage_bps: 100, max_open_positions: 1000, max_total_exposure_usd: 1e9 });
  await holdQueue();
  await runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec("UPDATE queue SET state = 'cancelled', last_error = 'test reset' WHERE state = 'pending'");
  });
});

/** A D1 binding where every statement throws, until the real one is put back. */
const unreachable = () => faultyD1(env.DB, { match: /./, times: 1_000_000_000 });

const countRows = async (sql: string, ...args: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...args)
      .first<{ n: number }>()
  )?.n;

describe("decided from actor state, written behind", () => {
  it("an entry enqueued while D1 is unreachable fills in simulation and opens its position; its rows reach D1 once D1 is back", async () => {
    // A warm queue (it has read config and breaker once, as a running system has).
    const warm = mint("WBWARM");
    await fake.tokens({ mint: warm, price_usd: 1, decimals: 6 });
    await queue().enqueue(buyRequest(warm));
    await stepQueue();

    const m = mint("WBDOWN");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const qdb = unreachable();
    const restoreQueue = await patchEnv(queue(), { DB: qdb.binding });
    const res = await queue().enqueue(buyRequest(m));
    expect(res).toMatchObject({ status: "pending", duplicate: false });
    const pid = positionIdFor(res.order_id);
    const pos = env.POSITION_ACTOR.getByName(pid);
    const pdb = unreachable();
    const restorePosition = await patchEnv(pos, { DB: pdb.binding });
    // The position row goes through the shared D1 writer (src/pipeline/shared-d1-write.ts).
    const restoreWriter = await patchWriter({ DB: pdb.binding });

    await stepQueue();
    expect(qdb.thrown()).toBeGreaterThan(0);
    expect(pdb.thrown()).toBeGreaterThan(0);
    // Filled and open in actor state; D1 knows nothing yet.
    const filled = await runInDurableObject(queue(), (_i, state) =>
      state.storage.sql.exec<{ state: string }>("SELECT state FROM queue WHERE order_id = ?", res.order_id).one(),
    );
    expect(filled.state).toBe("done");
    expect(await pos.status()).toMatchObject({ position_id: pid, position_status: "open" });
    expect(await orderRow(res.order_id)).toBeNull();
    expect(await positionRow(pid)).toBeNull();
    expect((await owedSteps()).filter((s) => s.order_id === res.order_id && s.state === "owed").length).toBeGreaterThan(
      0,
    );

    // D1 is back: the owed rows are written, the position reads its template, nothing is bought twice.
    await fake.prices({ [m]: 3 }); // a second execution would show up at the new price
    await restoreQueue();
    await restorePosition();
    await restoreWriter();
    await stepQueue();
    await runDurableObjectAlarm(pos);
    const order = await orderRow(res.order_id);
    expect(order).toMatchObject({ status: "filled", side: "buy", position_id: pid, executed_usd: 50 });
    expect(order?.executed_price_usd).toBeCloseTo(1.01, 12);
    expect(await positionRow(pid)).toMatchObject({ status: "open", entry_cost_usd: 50 });
    expect((await positionRow(pid))?.entry_price_usd).toBeCloseTo(1.01, 12);
    expect(await countRows("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?", res.order_id)).toBe(1);
    expect((await owedSteps()).filter((s) => s.order_id === res.order_id && s.state === "owed")).toEqual([]);
    const summary = await pos.summary();
    expect(summary?.rules).not.toBeNull();
  });

  it("a queue aborted between the fill and its D1 write: the rows are found afterwards and the entry filled once", async () => {
    const m = mint("WBKILL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    // The intent, written behind (started by enqueue, not awaited by it).
    expect(await waitFor(() => orderRow(res.order_id))).toMatchObject({ status: "pending" });
    const db = faultyD1(env.DB, { match: /"orders"/i, times: 1_000 });
    await patchEnv(queue(), { DB: db.binding });
    await stepQueue();
    expect(db.thrown()).toBeGreaterThan(0);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "pending" });

    abortAllDurableObjects();
    await fake.prices({ [m]: 2 });
    await stepQueue();
    const order = await orderRow(res.order_id);
    expect(order).toMatchObject({ status: "filled", executed_usd: 50 });
    expect(order?.executed_price_usd).toBeCloseTo(1.01, 12); // the first fill, never a second at $2
    expect(await countRows("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?", res.order_id)).toBe(1);
    const key = order?.idempotency_key as string;
    const states = await runInDurableObject(queue(), (_i, state) =>
      state.storage.sql.exec<{ state: string }>("SELECT state FROM queue WHERE idempotency_key = ?", key).toArray(),
    );
    expect(states).toEqual([{ state: "done" }]);
  });
});

describe("a late D1 write never moves a row backwards", () => {
  it("a late order intent after the fill leaves the order filled", async () => {
    const m = mint("WBLATE");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const req = buyRequest(m);
    const res = await queue().enqueue(req);
    await stepQueue();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled" });
    const db = getDb(env.DB);
    await runBatch(db, [
      orderIntentInsert(
        db,
        orderIntentRow({
          order_id: res.order_id,
          idempotency_key: req.idempotency_key,
          request: req,
          created_at_ms: 0,
        }),
      ),
    ]);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", executed_usd: 50 });
  });

  it("a late position write from an older state version leaves the newer row", async () => {
    const m = mint("WBPOS");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await stepQueue();
    const pid = positionIdFor(res.order_id);
    const row = (await positionRow(pid)) as Record<string, unknown>;
    expect(row).toMatchObject({ status: "open" });
    const version = row.state_version as number;
    expect(version).toBeGreaterThan(0);
    // An evicted instance's write of an older snapshot lands last.
    const { created_at: _c, ...older } = row;
    await positionUpsert(getDb(env.DB), {
      ...(older as Parameters<typeof positionUpsert>[1]),
      status: "closed",
      current_amount: "0",
      state_version: version - 1,
    }).run();
    expect(await positionRow(pid)).toMatchObject({
      status: "open",
      current_amount: row.current_amount,
      state_version: version,
    });
  });
});
