/**
 * Issue 12 alert kinds that nothing raised before: a leader paused (by the operator through the API, or
 * anywhere else — the 5-minute monitor sweeps), and the backfill finding trades the webhook missed.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runOpsMonitor } from "../src/jobs/ops-monitor";
import { runJob } from "../src/jobs/run-job";
import { nowIso } from "../src/lib/time";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { insertWallet } from "./helpers/wallet-actor";

const alertsOf = async (kind: string) =>
  (await env.DB.prepare("SELECT * FROM alerts WHERE kind = ? ORDER BY id").bind(kind).all<any>()).results;
const monitor = () => runJob(env, "ops_monitor", "*/5 * * * *", runOpsMonitor);

beforeEach(async () => {
  await fake.reset();
  await env.DB.batch([env.DB.prepare("DELETE FROM alerts"), env.DB.prepare("UPDATE wallets SET is_active = 0")]);
});

describe("leader paused", () => {
  it("pausing a leader through the API raises one leader_paused alert per pause; a re-pause later is a new one", async () => {
    const w = randomAddress();
    await insertWallet(w);
    const r = await api("PATCH", `/api/v1/wallets/${w}`, { is_active: false });
    expect(r.status).toBe(200);
    let paused = await alertsOf("leader_paused");
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({ subject: `${w}@${r.body.deactivated_at}`, severity: "warning", status: "open" });
    expect(paused[0].message).toContain(`leader ${w} paused`);

    // The monitor's sweep finds it alerted already; an unrelated PATCH raises nothing.
    await monitor();
    expect((await api("PATCH", `/api/v1/wallets/${w}`, { label: "renamed" })).status).toBe(200);
    expect(await alertsOf("leader_paused")).toHaveLength(1);

    // Resumed then paused again (DELETE ?force deactivates): a second pause, a second alert.
    expect((await api("PATCH", `/api/v1/wallets/${w}`, { is_active: true })).status).toBe(200);
    expect((await api("DELETE", `/api/v1/wallets/${w}?force=true`)).status).toBe(200);
    paused = await alertsOf("leader_paused");
    expect(paused).toHaveLength(2);
    expect(new Set(paused.map((a) => a.subject)).size).toBe(2);
  });

  it("a pause made outside the wallets API (config import, dashboard, a lost alert write) is raised by the monitor", async () => {
    const w = randomAddress();
    await insertWallet(w);
    const at = nowIso(Date.now() - 60_000);
    await env.DB.prepare("UPDATE wallets SET is_active = 0, deactivated_at = ? WHERE address = ?").bind(at, w).run();
    expect(await alertsOf("leader_paused")).toHaveLength(0);
    expect(((await monitor()).detail as Record<string, unknown>).leaders_paused).toBeGreaterThanOrEqual(1);
    const mine = async () => (await alertsOf("leader_paused")).filter((a) => a.subject.startsWith(w));
    expect((await mine()).map((a) => a.subject)).toEqual([`${w}@${at}`]);
    await monitor();
    expect(await mine()).toHaveLength(1);
  });
});

describe("backfill finding missed trades", () => {
  it("a backfill that recovers transactions the webhook missed raises backfill_missed once for them", async () => {
    const w = randomAddress();
    await insertWallet(w, { created_at: nowIso(Date.now() - 3_600_000) });
    const mint = randomAddress();
    const now = Math.floor(Date.now() / 1000);
    const txs = [600, 500].map((ago, i) =>
      buildSwapTx({
        signature: fakeSignature(`alertkinds-${i}-${w.slice(0, 10)}`),
        wallet: w,
        mint,
        side: "buy",
        quote_amount: 1,
        token_amount: 80_000,
        timestamp: now - ago,
      }),
    );
    await fake.wallet({
      address: w,
      signatures: txs.map((t, i) => ({
        signature: t.signature,
        slot: 310_000_000 + i,
        blockTime: t.timestamp,
        err: null,
      })),
    });
    await fake.transactions(...txs);

    const res = await api("POST", "/api/v1/sync/backfill", { wallet: w });
    expect(res.body.wallets[0]).toMatchObject({ missing: 2, recovered: 2 });
    const missed = await alertsOf("backfill_missed");
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ subject: `${w}:${txs[0]?.signature}`, severity: "warning" });
    expect(JSON.parse(missed[0].detail)).toMatchObject({ count: 2, signatures: txs.map((t) => t.signature) });

    // Nothing missing any more: the next run raises nothing.
    for (const t of txs)
      await waitFor(() =>
        env.DB.prepare("SELECT 1 FROM signals WHERE transaction_signature = ?").bind(t.signature).first(),
      );
    const again = await api("POST", "/api/v1/sync/backfill", { wallet: w });
    expect(again.body.wallets[0]).toMatchObject({ recovered: 0 });
    expect(await alertsOf("backfill_missed")).toHaveLength(1);
  });
});
