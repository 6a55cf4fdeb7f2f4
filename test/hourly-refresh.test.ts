import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { mint, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition } from "./helpers/positions";

beforeEach(() => fake.reset());

async function runHourly() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "0 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
  return env.DB.prepare(
    "SELECT status, detail FROM job_runs WHERE job = 'hourly_refresh' ORDER BY id DESC LIMIT 1",
  ).first<{
    status: string;
    detail: string;
  }>();
}

describe("hourly refresh", () => {
  it("re-arms an open position whose alarm was lost, leaves armed ones alone, fills token names in batch", async () => {
    const m1 = mint("watchdog1");
    const m2 = mint("watchdog2");
    await fake.tokens(
      { mint: m1, price_usd: 1, name: "Watch One", symbol: "W1" },
      { mint: m2, price_usd: 1, name: "Watch Two", symbol: "W2" },
    );
    const lost = await openPosition(m1);
    const fine = await openPosition(m2);
    // Simulate an alarm that exhausted its retries: the position is open but nothing will wake it.
    await runInDurableObject(lost.actor, async (_i, state) => state.storage.deleteAlarm());
    expect((await lost.actor.status()).next_alarm_at).toBeNull();

    const run = await runHourly();
    expect(run?.status).toBe("ok");
    const detail = JSON.parse(run?.detail ?? "{}");
    expect(detail).toMatchObject({ positions_rearmed: 1, positions_unreachable: 0 });
    expect(detail.open_positions).toBeGreaterThanOrEqual(2);
    // re-armed due now: its poll runs at once and schedules the next one
    await waitFor(async () => (await lost.actor.status()).next_alarm_at);
    const polled = await waitFor(() =>
      env.DB.prepare("SELECT last_price_at FROM positions WHERE id = ?")
        .bind(lost.id)
        .first<{ last_price_at: string | null }>()
        .then((r) => r?.last_price_at),
    );
    expect(polled).toEqual(expect.any(String));
    expect((await fine.actor.status()).next_alarm_at).not.toBeNull();

    const names = await env.DB.prepare("SELECT symbol FROM tokens WHERE mint_address IN (?, ?) ORDER BY symbol")
      .bind(m1, m2)
      .all();
    expect(names.results.map((r) => r.symbol)).toEqual(["W1", "W2"]);
    const calls = await fake.calls();
    expect(calls["rpc.getAssetBatch"]).toBe(1);

    // second run: nothing lost, names cached → no upstream lookups
    const again = JSON.parse((await runHourly())?.detail ?? "{}");
    expect(again).toMatchObject({ positions_rearmed: 0, token_metadata_looked_up: 0 });
    expect((await fake.calls())["rpc.getAssetBatch"]).toBe(1);
  });
});
