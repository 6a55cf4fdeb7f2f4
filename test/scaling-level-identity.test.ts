import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { mint, positionRow, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";

/** Issue 9 item 7: a scaling level is identified by its multiple, not by its index in the table. */
beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, simulated_slippage_bps: 100, max_swap_retries: 3 });
});

const settledSells = (positionId: string, n: number) =>
  waitFor(async () => {
    const os = await ordersOf(positionId);
    return os.length >= n && os.every((o) => o.status === "filled" || o.status === "cancelled") ? os : null;
  });

const LEVEL_IN_FRONT = {
  scaling_levels: [
    { multiple: 1.5, sell_percent: 10 },
    { multiple: 2, sell_percent: 50 },
    { multiple: 3, sell_percent: 25 },
  ],
};

describe("scaling level identity", () => {
  it("adding a level in front by override never re-sells the level already sold", async () => {
    const m = mint("LVLF");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 2.1 });
    await runDurableObjectAlarm(actor);
    await settledSells(id, 1);
    await waitFor(async () => ((await positionRow(id))?.current_amount === "500000000" ? true : null));
    expect((await actor.setStrategyOverride(LEVEL_IN_FRONT)).ok).toBe(true);
    await runDurableObjectAlarm(actor);
    const os = await settledSells(id, 2);
    // Only the new 1.5x level (10 % of the entry) sells; the 2x level already sold stays sold.
    expect(os.map((o) => [o.reason, o.executed_in_amount])).toEqual([
      ["scaling_out", "500000000"],
      ["scaling_out", "100000000"],
    ]);
    await runDurableObjectAlarm(actor);
    expect(await ordersOf(id)).toHaveLength(2);
    const row = await waitFor(async () =>
      (await positionRow(id))?.current_amount === "400000000" ? positionRow(id) : null,
    );
    expect(JSON.parse(String(row.scaling_levels_hit)).sort()).toEqual([1.5, 2]);
  });

  it("a position stored before the fix (levels hit by index) keeps meaning the same levels after deploy", async () => {
    const m = mint("LVLM");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 2.1 });
    await runDurableObjectAlarm(actor);
    await settledSells(id, 1);
    await waitFor(async () => ((await positionRow(id))?.current_amount === "500000000" ? true : null));
    // Rewrite the stored state the way the previous version persisted it: level indexes, no format marker.
    await runInDurableObject(actor, (_instance, state) => {
      const sql = state.storage.sql;
      const row = sql.exec<{ json: string }>("SELECT json FROM position_state WHERE id = 1").one();
      const old = JSON.parse(row.json);
      old.scaling_levels_hit = [0];
      delete old.scaling_levels_hit_format;
      sql.exec("UPDATE position_state SET json = ? WHERE id = 1", JSON.stringify(old));
    });
    await evictDurableObject(actor);
    expect((await actor.setStrategyOverride(LEVEL_IN_FRONT)).ok).toBe(true);
    await runDurableObjectAlarm(actor);
    const os = await settledSells(id, 2);
    expect(os.map((o) => [o.reason, o.executed_in_amount])).toEqual([
      ["scaling_out", "500000000"],
      ["scaling_out", "100000000"],
    ]);
  });
});

describe("scaling level identity: D1 read model migration", () => {
  it("the data migration maps stored level indexes to the multiples of the position's own table", async () => {
    const { env } = await import("cloudflare:workers");
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("scaling_levels_by_multiple"));
    expect(migration).toBeDefined();
    const insert = (id: string, hit: string, override: string | null) =>
      env.DB.prepare(
        `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status, exit_strategy_id,
           strategy_override, entry_price_usd, entry_amount, entry_cost_usd, current_amount, scaling_levels_hit, opened_at)
         VALUES (?, 'L', 'M', 6, 'simulation', 'closed', 1, ?, 1, '1000', 1, '0', ?, '2026-01-01T00:00:00.000Z')`,
      )
        .bind(id, override, hit)
        .run();
    await insert("mig_default", "[0,1]", null);
    await insert("mig_override", "[1]", JSON.stringify(LEVEL_IN_FRONT));
    await insert("mig_none", "[]", null);
    for (const q of migration?.queries ?? []) await env.DB.prepare(q).run();
    const hit = async (id: string) =>
      JSON.parse(
        String(
          (await env.DB.prepare("SELECT scaling_levels_hit AS h FROM positions WHERE id = ?").bind(id).first())?.h,
        ),
      );
    expect(await hit("mig_default")).toEqual([2, 3]);
    expect(await hit("mig_override")).toEqual([2]);
    expect(await hit("mig_none")).toEqual([]);
  });
});
