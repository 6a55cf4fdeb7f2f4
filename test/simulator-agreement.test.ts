import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import type { PollConfig } from "../src/domain/exit-rules";
import type { StrategyRules } from "../src/domain/exit-strategy";
import { SIM_DECIMALS, type SimLeaderSale, type SimTick, simulateStrategy } from "../src/domain/strategy-simulator";
import { driveActor } from "./helpers/actor-drive";
import { LEADER, mint, positionRow, resetBreaker } from "./helpers/execution";
import { openPosition } from "./helpers/positions";
import { type Rng, seeded } from "./helpers/seeded-random";

/**
 * Issue 14: the simulator and the PositionActor run one code path. On seeded random strategies and price
 * paths, the actor (driven tick by tick, its exits filled at their trigger price) and the simulator must
 * produce the same exits (time, reason, amount, price), the same final status and the same PnL.
 */
const SEED = 20261201;
const PATHS = 500;
const BATCH = 20;

function randomRules(r: Rng, entry: number): StrategyRules {
  const trailing = r.chance(0.6) ? r.real(5, 30, 1) : null;
  const levels: StrategyRules["scaling_levels"] = [];
  let multiple = 1;
  let left = 100;
  for (let i = r.int(0, 3); i > 0 && left > 0; i--) {
    multiple = Number((multiple + r.real(0.2, 1.5, 2)).toFixed(2));
    const pct = i === 1 && r.chance(0.3) ? left : Math.min(left, r.int(5, 60));
    levels.push({ multiple, sell_percent: pct });
    left -= pct;
  }
  const times = [0, 5, 10, 30, 60].filter(() => r.chance(0.4));
  void entry;
  return {
    stop_loss_percent: r.chance(0.75) ? r.real(5, 50, 1) : null,
    trailing_stop_percent: trailing,
    trailing_activation_percent: trailing != null && r.chance(0.7) ? r.real(0, 100, 0) : null,
    scaling_levels: levels,
    mirror_exit_enabled: r.chance(0.8),
    max_hold_minutes: r.chance(0.3) ? r.int(5, 120) : null,
    // Listed in random order on purpose: the engine must not assume sorted rows.
    take_profit_table: times
      .map((after_minutes) => ({ after_minutes, min_profit_percent: r.real(-20, 150, 0) }))
      .sort(() => r.next() - 0.5),
  };
}

/** A random walk with jumps, and now and then a tick exactly on a threshold of the rules. */
function randomPath(r: Rng, entry: number, rules: StrategyRules): { ticks: SimTick[]; sales: SimLeaderSale[] } {
  const thresholds = [
    ...(rules.stop_loss_percent != null ? [entry * (1 - rules.stop_loss_percent / 100)] : []),
    ...rules.scaling_levels.map((l) => entry * l.multiple),
    ...rules.take_profit_table.map((t) => entry * (1 + t.min_profit_percent / 100)),
  ].filter((p) => p > 0);
  const ticks: SimTick[] = [];
  let t = 0;
  let price = entry;
  for (let i = r.int(2, 14); i > 0; i--) {
    t += r.pick([10, 20, 30, 60, 60, 120, 300, 600, 1800]);
    if (thresholds.length && r.chance(0.15)) price = r.pick(thresholds);
    else price = Math.max(entry * 1e-3, price * Math.exp((r.next() - 0.48) * (r.chance(0.1) ? 1.5 : 0.35)));
    ticks.push({ at_seconds: t, price_usd: price });
  }
  const sales: SimLeaderSale[] = [];
  for (let i = r.chance(0.4) ? r.int(1, 2) : 0; i > 0; i--) {
    const at = r.chance(0.5) ? r.pick(ticks).at_seconds : r.int(1, t);
    sales.push({ at_seconds: at, fraction: r.pick([0.25, 0.5, 1, r.real(0.05, 0.95, 3)]) });
  }
  sales.sort((a, b) => a.at_seconds - b.at_seconds);
  return { ticks, sales };
}

type Exit = { at: number; reason: string; amount: string; price: number };

async function runOnActor(
  n: number,
  rules: StrategyRules,
  entry: number,
  entryAmount: bigint,
  cost: number,
  ticks: SimTick[],
  sales: SimLeaderSale[],
) {
  const m = mint(`AGR${n}`);
  const { id, actor } = await openPosition(m, {
    entry_price_usd: entry,
    entry_amount: entryAmount.toString(),
    entry_cost_usd: cost,
  });
  const set = await actor.setStrategyOverride(rules);
  if (!set.ok) throw new Error(`override refused: ${set.detail}`);
  const openedAt = Date.parse(String((await positionRow(id))?.opened_at));
  const drive = await driveActor(actor, m);
  // The open armed the first poll at the PriceFeed's next round, which may be due within milliseconds: left
  // there it can fire on its own, on the real clock, between this test's ticks. Park it an hour out; every
  // tick below runs it explicitly (runDurableObjectAlarm runs a scheduled alarm at once, whatever its time).
  await runInDurableObject(actor, (_instance, state) => state.storage.setAlarm(Date.now() + 3_600_000));
  const exits: Exit[] = [];
  let last = entry;
  let closed = false;
  const priceAt = (at: number) => ticks.find((x) => x.at_seconds === at)?.price_usd;
  const fillAll = async (at: number, mirrorPrice: number | null) => {
    for (const req of drive.takeEnqueued()) {
      const price = req.reason === "mirror_exit" ? (mirrorPrice as number) : (req.trigger_price_usd as number);
      const sold = String(req.sell_amount);
      exits.push({ at, reason: req.reason, amount: sold, price });
      const res = await actor.applyFill({
        order_id: `ord_${req.idempotency_key}`,
        idempotency_key: req.idempotency_key,
        sold_amount: sold,
        proceeds_usd: (Number(sold) / 10 ** SIM_DECIMALS) * price,
        price_usd: price,
        reason: req.reason as never,
      });
      if (res.status === "closed") closed = true;
    }
  };
  const events = [
    ...sales.map((s, i) => ({ at: s.at_seconds, sale: s, i, order: 0 })),
    ...ticks.map((tk, i) => ({ at: tk.at_seconds, tick: tk, i, order: 1 })),
  ].sort((a, b) => a.at - b.at || a.order - b.order || a.i - b.i);
  for (const ev of events) {
    if (closed) break;
    if ("sale" in ev && ev.sale) {
      await actor.mirrorExit({
        signal_id: 1000 + ev.i,
        transaction_signature: `agr-${id}-${ev.i}`,
        leader_address: LEADER,
        token_mint: m,
        fraction: ev.sale.fraction,
      });
      await fillAll(ev.at, priceAt(ev.at) ?? last);
    } else if ("tick" in ev && ev.tick) {
      last = ev.tick.price_usd;
      drive.setClock(openedAt + ev.at * 1000);
      drive.setPrice(ev.tick.price_usd);
      await runDurableObjectAlarm(actor);
      await fillAll(ev.at, null);
    }
  }
  const row = await positionRow(id);
  // A position left open keeps its poll alarm: cancel it so it never runs after this file (with real stubs).
  await runInDurableObject(actor, (_instance, state) => state.storage.deleteAlarm());
  return { exits, row };
}

let poll: PollConfig;
beforeAll(async () => {
  await resetBreaker();
  poll = await loadConfig(getDb(env.DB));
});
afterAll(async () => {
  await resetBreaker();
});

describe("simulator ↔ PositionActor agreement", () => {
  it(`agrees on every exit of ${PATHS} seeded random strategies and price paths`, { timeout: 600_000 }, async () => {
    const r = seeded(SEED);
    const cases = Array.from({ length: PATHS }, (_, n) => {
      const entry = Number((10 ** r.real(-6, 1, 3)).toPrecision(6));
      const entryAmount = BigInt(r.int(1_000, 5_000_000)) * 1_000_000n;
      const cost = (Number(entryAmount) / 10 ** SIM_DECIMALS) * entry;
      const rules = randomRules(r, entry);
      const { ticks, sales } = randomPath(r, entry, rules);
      return { n, entry, entryAmount, cost, rules, ticks, sales };
    });
    let compared = 0;
    let withExits = 0;
    const reasons = new Set<string>();
    for (let b = 0; b < cases.length; b += BATCH) {
      await Promise.all(
        cases.slice(b, b + BATCH).map(async (c) => {
          const sim = simulateStrategy({
            rules: c.rules,
            entry_price_usd: c.entry,
            entry_amount: c.entryAmount,
            entry_cost_usd: c.cost,
            ticks: c.ticks,
            leader_sales: c.sales,
            poll,
          });
          const actor = await runOnActor(c.n, c.rules, c.entry, c.entryAmount, c.cost, c.ticks, c.sales);
          const simExits = sim.exits.map((e) => ({
            at: e.at_seconds,
            reason: e.reason,
            amount: e.amount.toString(),
            price: e.price_usd,
          }));
          const ctx = `path ${c.n}: ${JSON.stringify({ rules: c.rules, ticks: c.ticks, sales: c.sales })}`;
          expect(actor.exits, ctx).toEqual(simExits);
          expect(actor.row?.status, ctx).toBe(sim.status);
          expect(actor.row?.current_amount, ctx).toBe(sim.remaining_amount.toString());
          expect(actor.row?.exit_reason ?? null, ctx).toBe(sim.exit_reason);
          expect(Number(actor.row?.realized_pnl_usd), ctx).toBeCloseTo(sim.realized_pnl_usd, 6);
          compared++;
          if (simExits.length) withExits++;
          for (const e of simExits) reasons.add(e.reason);
        }),
      );
    }
    expect(compared).toBe(PATHS);
    // The random paths must actually exercise the rules, not agree on doing nothing.
    expect(withExits).toBeGreaterThan(PATHS / 2);
    expect([...reasons].sort()).toEqual(
      ["mirror_exit", "scaling_out", "stop_loss", "take_profit", "time_exit", "trailing_stop"].sort(),
    );
  });
});
