import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { OpenPositionInput } from "../src/domain/position";
import { LEADER, mint, positionRow, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, faultyNamespace, heldD1, patchEnv, patchWriter } from "./helpers/faults";

/**
 * Issue 9 item 4: PositionActor.open() never leaves a position only in memory. Every read happens before the
 * state is decided; state and alarm are persisted together; a repeated open re-arms and re-syncs D1.
 */
beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0 });
});

let n = 0;
function openInput(tokenMint: string): OpenPositionInput {
  n++;
  return {
    position_id: `pos_open_${n}_${tokenMint.slice(0, 8)}`,
    entry_order_id: `ord_open_${n}`,
    wallet_id: null,
    source_wallet_address: LEADER,
    signal_id: null,
    token_mint: tokenMint,
    token_decimals: 6,
    mode: "simulation",
    exit_strategy_id: null,
    entry_price_usd: 1,
    entry_amount: "1000000000",
    entry_cost_usd: 1000,
  };
}

async function rejection(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    return String(err);
  }
  return "resolved";
}

describe("PositionActor.open under faults (item 4)", () => {
  it("an open whose config read fails still opens from its fill (default poll interval), persists and arms it", async () => {
    // Issue 10: the tokens are bought, so the position opens from its fill alone; a config it cannot get (the
    // queue unreachable, then D1 too: its last resort) only means the default urgent poll until the next alarm.
    const input = openInput(mint("OPCFG"));
    const actor = env.POSITION_ACTOR.getByName(input.position_id);
    const db = faultyD1(env.DB, { match: /from "config"/i });
    const queueNs = faultyNamespace(env.SWAP_QUEUE, { method: "positionHotState" });
    await patchEnv(actor, { DB: db.binding, SWAP_QUEUE: queueNs.binding });
    expect(await actor.open(input)).toEqual({ position_id: input.position_id, created: true });
    expect(queueNs.thrown()).toBe(1);
    expect(db.thrown()).toBe(1);

    const again = await actor.open(input);
    expect(again).toEqual({ position_id: input.position_id, created: false });
    expect(await positionRow(input.position_id)).toMatchObject({ status: "open", current_amount: "1000000000" });
    expect((await actor.status()).next_alarm_at).not.toBeNull();
    // Persisted, not only in memory: a fresh instance has it, with its alarm.
    await evictDurableObject(actor);
    expect(await actor.status()).toMatchObject({ position_id: input.position_id, position_status: "open" });
    expect((await actor.status()).next_alarm_at).not.toBeNull();
  });

  it("an open whose D1 row write fails is persisted with its alarm; the repeated open re-syncs D1 and re-arms", async () => {
    const input = openInput(mint("OPD1"));
    const actor = env.POSITION_ACTOR.getByName(input.position_id);
    // Two writes fail: the open's own (in the background: the open does not wait for D1, issue 10) and the
    // queue's owed flush after it (chained behind it), which reports the failure so that it is retried.
    const db = faultyD1(env.DB, { match: /^insert into "positions"/i, times: 2 });
    // The row goes through the shared D1 writer (src/pipeline/shared-d1-write.ts): its D1 is the one failing.
    const restore = await patchWriter({ DB: db.binding });
    expect(await actor.open(input)).toEqual({ position_id: input.position_id, created: true });
    expect(await rejection(() => actor.flushD1())).toMatch(/Failed query|injected D1 fault/);
    expect(db.thrown()).toBe(2);
    await restore();
    expect(await positionRow(input.position_id)).toBeNull();
    // The state and the alarm were persisted before the D1 write: the object survives a crash.
    await evictDurableObject(actor);
    expect(await actor.status()).toMatchObject({ position_status: "open" });
    expect((await actor.status()).next_alarm_at).not.toBeNull();
    // The alarm is then lost (six failed runs): the repeated open of the owed step heals both.
    await runInDurableObject(actor, (_i, state) => state.storage.deleteAlarm());

    const again = await actor.open(input);
    expect(again).toEqual({ position_id: input.position_id, created: false });
    expect(await positionRow(input.position_id)).toMatchObject({
      status: "open",
      entry_amount: "1000000000",
      entry_cost_usd: 1000,
    });
    // Re-armed due now: it may already have run and armed the next poll; either way an alarm is set.
    expect(await waitFor(async () => (await actor.status()).next_alarm_at)).toEqual(expect.any(String));
  });

  it("the open's D1 write and the queue's owed flush while it is in flight are ONE write", async () => {
    const input = openInput(mint("OPONE"));
    const actor = env.POSITION_ACTOR.getByName(input.position_id);
    const held = heldD1(env.DB, "batches");
    const rec = faultyD1(held.binding, { match: /^$/ });
    const restore = await patchWriter({ DB: rec.binding });
    try {
      expect((await actor.open(input)).created).toBe(true); // its row's write is held at the writer
      const flushed = actor.flushD1(); // the owed d1_position step, before the open's write has landed
      await waitFor(async () => (held.waiting() > 0 ? true : null));
      held.release();
      expect(await flushed).toEqual({ version: expect.any(Number) });
      expect(await positionRow(input.position_id)).toMatchObject({ status: "open" });
      expect(rec.statements.filter((q) => /^insert into "positions"/i.test(q))).toHaveLength(1);
    } finally {
      held.release();
      await restore();
    }
  });

  it("a repeated open with other numbers changes nothing in the position", async () => {
    const input = openInput(mint("OPSAME"));
    const actor = env.POSITION_ACTOR.getByName(input.position_id);
    expect((await actor.open(input)).created).toBe(true);
    const again = await actor.open({ ...input, entry_amount: "5", entry_cost_usd: 9, entry_price_usd: 9 });
    expect(again.created).toBe(false);
    expect(await positionRow(input.position_id)).toMatchObject({ entry_amount: "1000000000", entry_cost_usd: 1000 });
  });
});
