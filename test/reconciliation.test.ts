import {
  createExecutionContext,
  createScheduledController,
  evictDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import {
  amountsDisagree,
  compareHoldings,
  MISSING_OBSERVATIONS_TO_CLOSE,
  realizedFromFills,
} from "../src/domain/reconciliation";
import worker from "../src/index";
import { reconcile } from "../src/jobs/reconciliation";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { LEADER, mint } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, patchWriter } from "./helpers/faults";
import { newSolanaSecretKey } from "./helpers/keys";

const WSOL = "So11111111111111111111111111111111111111112";
let seq = 0;

/** Opens a position on its actor (as the SwapQueue does after an entry fill), live by default. */
async function openLive(tokenMint: string, amount = "1000000000", mode: "live" | "simulation" = "live") {
  seq++;
  const id = `pos_recon_${seq}_${Date.now()}`;
  const actor = env.POSITION_ACTOR.getByName(id);
  await actor.open({
    position_id: id,
    entry_order_id: `ord_recon_${seq}`,
    wallet_id: null,
    source_wallet_address: LEADER,
    signal_id: null,
    token_mint: tokenMint,
    token_decimals: 6,
    mode,
    exit_strategy_id: null,
    entry_price_usd: 1,
    entry_amount: amount,
    entry_cost_usd: Number(amount) / 1e6,
  });
  await actor.flushD1(); // the row is written behind the open: the run reads D1's open positions
  return { id, actor };
}

/** A fresh trading wallet (its key in the env the job runs with) and its on-chain token accounts in the fake. */
async function tradingWallet(accounts: { mint: string; amount: string }[]) {
  const key = await newSolanaSecretKey();
  await fake.wallet({
    address: key.address,
    lamports: 2_000_000_000,
    token_accounts: accounts.map((a) => ({ ...a, decimals: 6 })),
    signatures: [],
  });
  const withKey = { ...env, WALLET_PRIVATE_KEY: key.secret } as Env;
  return {
    ...key,
    env: withKey,
    hold: (accs: { mint: string; amount: string }[]) =>
      fake.wallet({ address: key.address, token_accounts: accs.map((a) => ({ ...a, decimals: 6 })) }),
  };
}

const findingsOf = async (runId: number) =>
  (
    await env.DB.prepare("SELECT * FROM reconciliation_findings WHERE run_id = ? ORDER BY id")
      .bind(runId)
      .all<Record<string, any>>()
  ).results;
const alertOf = (subject: string) =>
  env.DB.prepare("SELECT * FROM alerts WHERE kind = 'reconciliation' AND subject = ? ORDER BY id DESC LIMIT 1")
    .bind(subject)
    .first<Record<string, any>>();
const positionRow = (id: string) => env.DB.prepare("SELECT * FROM positions WHERE id = ?").bind(id).first<any>();
/** As if the last counted observation was an hour ago (the hourly cron's gap), without waiting. */
const agePreviousObservation = (positionId: string) =>
  env.DB.prepare("UPDATE reconciliation_missing SET last_snapshot_at = ? WHERE position_id = ?")
    .bind(new Date(Date.now() - 3_600_000).toISOString(), positionId)
    .run();

async function insertFilledSell(positionId: string, tokenMint: string, sold: string, usd: number, minutesAgo = 10) {
  const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const id = `ord_sell_${crypto.randomUUID()}`;
  await env.DB.prepare(
    `INSERT INTO orders (id, idempotency_key, position_id, token_mint, side, priority, mode, status, reason,
       executed_in_amount, executed_usd, executed_price_usd, requested_at, executed_at)
     VALUES (?1, ?1, ?2, ?3, 'sell', 'urgent', 'simulation', 'filled', 'manual', ?4, ?5, 1, ?6, ?6)`,
  )
    .bind(id, positionId, tokenMint, sold, usd, at)
    .run();
  return id;
}

beforeEach(async () => {
  await fake.reset();
  // Positions of earlier tests share this file's D1: take the live ones out of the comparison.
  const open = await env.DB.prepare("SELECT id FROM positions WHERE mode = 'live' AND status != 'closed'").all<{
    id: string;
  }>();
  for (const p of open.results) await env.POSITION_ACTOR.getByName(p.id).closeSoldExternally({ observations: 0 });
  await env.DB.prepare("DELETE FROM reconciliation_missing").run();
  await env.DB.prepare("UPDATE alerts SET status = 'resolved' WHERE kind = 'reconciliation'").run();
  await env.DB.prepare("UPDATE config SET reconciliation_tolerance_percent = 1 WHERE id = 1").run();
});

describe("reconciliation rules (pure)", () => {
  it("amounts disagree only beyond the tolerance percent, exactly at it they agree", () => {
    expect(amountsDisagree(1000n, 990n, 1)).toBe(false);
    expect(amountsDisagree(1000n, 989n, 1)).toBe(true);
    expect(amountsDisagree(1000n, 1011n, 1)).toBe(true);
    expect(amountsDisagree(0n, 1n, 50)).toBe(true);
    // u64 amounts beyond float precision
    expect(amountsDisagree(18_000_000_000_000_000_000n, 18_000_000_000_000_000_001n, 0)).toBe(true);
  });

  it("a mint with an order in flight, a closing position or one opened after the snapshot is not judged", () => {
    const base = { status: "open" as const, current_amount: "10", opened_at: "2026-01-01T00:00:00.000Z" };
    const cmp = compareHoldings(
      [
        { ...base, id: "a", token_mint: "M1", order_in_flight: true },
        { ...base, id: "b", token_mint: "M2", status: "closing", order_in_flight: false },
        { ...base, id: "c", token_mint: "M3", opened_at: "2026-01-02T00:00:00.000Z", order_in_flight: false },
        { ...base, id: "d", token_mint: "M4", order_in_flight: false },
      ],
      [],
      "2026-01-01T12:00:00.000Z",
      1,
    );
    expect(cmp.missing.map((p) => p.id)).toEqual(["d"]);
    expect(cmp.skipped_subjects).toContain("position_without_holding:a");
    expect(cmp.skipped_subjects).toContain("position_without_holding:c");
  });

  it("a position closed by us after the snapshot (its tokens still in the snapshot) is no holding without a position", () => {
    const cmp = compareHoldings(
      [
        {
          id: "sold",
          token_mint: "M5",
          status: "closed",
          current_amount: "0",
          opened_at: "2026-01-01T00:00:00.000Z",
          closed_at: "2026-01-01T12:00:01.000Z",
          order_in_flight: false,
        },
      ],
      [{ mint: "M5", balance: "10" }],
      "2026-01-01T12:00:00.000Z",
      1,
    );
    expect(cmp.findings).toEqual([]);
    expect(cmp.skipped_subjects).toContain("holding_without_position:M5");
  });

  it("realized PnL from fills is Σ proceeds − cost basis of what each sold", () => {
    const p = {
      id: "p",
      token_mint: "M",
      mode: "simulation" as const,
      entry_amount: "1000",
      entry_cost_usd: 100,
      realized_pnl_usd: 0,
      fills: [
        { sold_amount: "500", proceeds_usd: 80 },
        { sold_amount: "250", proceeds_usd: 10 },
      ],
    };
    expect(realizedFromFills(p)).toBeCloseTo(80 - 50 + (10 - 25), 9);
  });
});

describe("reconciliation run", () => {
  it("holding without a position: a token held with no live position is a finding and an alert; SOL/WSOL cash is not", async () => {
    const stray = mint("STRAY");
    const w = await tradingWallet([
      { mint: stray, amount: "5000000" },
      { mint: WSOL, amount: "1000000000" },
    ]);
    const out = await reconcile(w.env, "api");
    expect(out?.holdings_checked).toBe(true);
    const f = await findingsOf(out?.run_id as number);
    expect(f.map((x) => [x.kind, x.token_mint, x.actual])).toEqual([["holding_without_position", stray, "5000000"]]);
    const alert = await alertOf(`holding_without_position:${stray}`);
    expect(alert?.status).toBe("open");
    expect(alert?.severity).toBe("critical");
    // The run compared the trading wallet, which the portfolio now lists as a trading wallet.
    const run = await env.DB.prepare("SELECT * FROM reconciliation_runs WHERE id = ?").bind(out?.run_id).first<any>();
    expect(run.wallet_address).toBe(w.address);
    expect(run.status).toBe("ok");
    const info = await env.DB.prepare("SELECT wallet_type FROM wallet_info WHERE address = ?")
      .bind(w.address)
      .first<any>();
    expect(info.wallet_type).toBe("trading");
  });

  it("amounts that disagree beyond reconciliation_tolerance_percent are a finding; within it, or for a simulated position, none", async () => {
    const a = mint("AMTA");
    const b = mint("AMTB");
    const sim = mint("AMTSIM");
    const pa = await openLive(a, "1000000000");
    await openLive(b, "1000000000");
    await openLive(sim, "1000000000", "simulation"); // holds nothing on chain, and is not compared
    const w = await tradingWallet([
      { mint: a, amount: "980000000" }, // 2 % short
      { mint: b, amount: "995000000" }, // 0.5 % short
    ]);
    const out = await reconcile(w.env, "api");
    const f = await findingsOf(out?.run_id as number);
    expect(f.map((x) => [x.kind, x.token_mint, x.expected, x.actual, x.position_id])).toEqual([
      ["amount_mismatch", a, "1000000000", "980000000", pa.id],
    ]);
    expect((await alertOf(`amount_mismatch:${a}`))?.status).toBe("open");

    // A wider tolerance (config, range-checked) accepts the 2 %; the alert is resolved by that run.
    const bad = await api("PATCH", "/api/v1/config", { reconciliation_tolerance_percent: 80 });
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    expect((await api("PATCH", "/api/v1/config", { reconciliation_tolerance_percent: 5 })).status).toBe(200);
    const again = await reconcile(w.env, "api");
    expect(await findingsOf(again?.run_id as number)).toEqual([]);
    expect((await alertOf(`amount_mismatch:${a}`))?.status).toBe("resolved");
    expect(again?.alerts_resolved).toBeGreaterThanOrEqual(1);
  });

  it("position without holdings: one observation does not close, a run repeated minutes later does not count twice, a holding that reappears resets the count, two consecutive observations close it sold_externally through its actor", async () => {
    const m = mint("GONE");
    const p = await openLive(m, "7000000");
    const w = await tradingWallet([]);

    const r1 = await reconcile(w.env, "api");
    const f1 = await findingsOf(r1?.run_id as number);
    expect(f1.map((x) => [x.kind, x.position_id, x.observations, x.action])).toEqual([
      ["position_without_holding", p.id, 1, null],
    ]);
    expect((await positionRow(p.id)).status).toBe("open");
    expect((await p.actor.status()).position_status).toBe("open");
    expect((await alertOf(`position_without_holding:${p.id}`))?.status).toBe("open");

    // Repeated at once: the same question to the same node; still one observation, still open.
    const r2 = await reconcile(w.env, "api");
    expect((await findingsOf(r2?.run_id as number))[0]?.observations).toBe(1);
    expect((await positionRow(p.id)).status).toBe("open");

    // The tokens are back an hour later: the count starts over and the alert is resolved.
    await agePreviousObservation(p.id);
    await w.hold([{ mint: m, amount: "7000000" }]);
    const r3 = await reconcile(w.env, "api");
    expect(await findingsOf(r3?.run_id as number)).toEqual([]);
    expect((await alertOf(`position_without_holding:${p.id}`))?.status).toBe("resolved");
    expect(
      await env.DB.prepare("SELECT * FROM reconciliation_missing WHERE position_id = ?").bind(p.id).first(),
    ).toBeNull();

    // Gone again: observation 1 (not 2), then an hour later observation 2 closes it.
    await w.hold([]);
    const r4 = await reconcile(w.env, "api");
    expect((await findingsOf(r4?.run_id as number))[0]?.observations).toBe(1);
    expect((await positionRow(p.id)).status).toBe("open");
    await agePreviousObservation(p.id);
    const r5 = await reconcile(w.env, "api");
    expect(MISSING_OBSERVATIONS_TO_CLOSE).toBe(2);
    expect(r5?.positions_closed).toBe(1);
    const f5 = await findingsOf(r5?.run_id as number);
    expect(f5.map((x) => [x.kind, x.observations, x.action])).toEqual([
      ["position_without_holding", 2, "closed_sold_externally"],
    ]);
    const row = await positionRow(p.id);
    expect([row.status, row.exit_reason, row.current_amount]).toEqual(["closed", "sold_externally", "0"]);
    expect(row.realized_pnl_usd).toBe(0); // no proceeds invented
    expect((await p.actor.status()).position_status).toBe("closed");
    expect((await p.actor.status()).next_alarm_at).toBeNull();

    // The next run finds nothing, closes nothing twice, and resolves the alert.
    const r6 = await reconcile(w.env, "api");
    expect(r6?.positions_closed).toBe(0);
    expect(await findingsOf(r6?.run_id as number)).toEqual([]);
    expect((await alertOf(`position_without_holding:${p.id}`))?.status).toBe("resolved");
  });

  it("the actor refuses to close sold_externally while an exit of ours is decided or queued, and a mint with an order in flight is not judged", async () => {
    const m = mint("INFL");
    const p = await openLive(m, "4000000");
    const exit = await p.actor.requestExit({ percent: 50 });
    expect(exit.ok).toBe(true);
    expect(await p.actor.closeSoldExternally({ observations: 2 })).toEqual({
      closed: false,
      reason: "exit_in_flight",
    });
    const w = await tradingWallet([]);
    const r = await reconcile(w.env, "api");
    expect((await findingsOf(r?.run_id as number)).filter((x) => x.token_mint === m)).toEqual([]);
    expect((await positionRow(p.id)).status).toBe("open");
  });

  it("realized PnL that disagrees with the sum of its fills is a finding (any mode); a fill younger than the settle window waits; the alert is resolved once they agree", async () => {
    const m = mint("PNL");
    const ok = await openLive(m, "1000000000", "simulation");
    // Applied by the actor and recorded as a filled order: they agree.
    const okOrder = await insertFilledSell(ok.id, m, "500000000", 700);
    await ok.actor.applyFill({
      order_id: okOrder,
      sold_amount: "500000000",
      proceeds_usd: 700,
      price_usd: 1.4,
      reason: "manual",
    });
    // A filled order the position never applied: realized 0 vs 200 from the fills.
    const bad = await openLive(m, "1000000000", "simulation");
    const badOrder = await insertFilledSell(bad.id, m, "500000000", 700);
    // Too fresh to judge: D1 may still be catching up.
    const fresh = await openLive(m, "1000000000", "simulation");
    const freshOrder = await insertFilledSell(fresh.id, m, "500000000", 700, 0);

    const out = await reconcile(env, "api"); // no key: holdings skipped, fills still checked
    expect(out?.holdings_checked).toBe(false);
    const f = (await findingsOf(out?.run_id as number)).filter((x) => x.kind === "pnl_mismatch");
    expect(f.map((x) => [x.position_id, x.expected, x.actual, x.mode])).toEqual([
      [bad.id, "200.000000", "0.000000", "simulation"],
    ]);
    expect((await alertOf(`pnl_mismatch:${bad.id}`))?.status).toBe("open");

    await env.DB.prepare("DELETE FROM orders WHERE id = ?").bind(badOrder).run();
    const again = await reconcile(env, "api");
    expect((await findingsOf(again?.run_id as number)).filter((x) => x.kind === "pnl_mismatch")).toEqual([]);
    expect((await alertOf(`pnl_mismatch:${bad.id}`))?.status).toBe("resolved");
    await env.DB.prepare("DELETE FROM orders WHERE id = ?").bind(freshOrder).run();
  });

  it("without WALLET_PRIVATE_KEY holdings are skipped with the reason and their alerts stay open; the order/fill checks still run", async () => {
    const stray = mint("KEEP");
    const w = await tradingWallet([{ mint: stray, amount: "1" }]);
    await reconcile(w.env, "api");
    expect((await alertOf(`holding_without_position:${stray}`))?.status).toBe("open");

    const res = await api("POST", "/api/v1/reconciliation/run");
    expect(res.status).toBe(200);
    expect(res.body.run.holdings_checked).toBe(false);
    expect(res.body.run.holdings_skip_reason).toMatch(/WALLET_PRIVATE_KEY is not configured/);
    expect(res.body.run.status).toBe("ok");
    expect(res.body.run.trigger).toBe("api");
    // Not looked at this time, so not resolved.
    expect((await alertOf(`holding_without_position:${stray}`))?.status).toBe("open");
    // Audited like every operator action, and recorded as a job run with its heartbeat.
    const audit = await env.DB.prepare(
      "SELECT * FROM audit_log WHERE action = 'POST /api/v1/reconciliation/run' ORDER BY id DESC LIMIT 1",
    ).first<any>();
    expect(audit?.outcome_status).toBe(200);
    expect(JSON.parse(audit.after).run.id).toBe(res.body.run.id);
    const job = await env.DB.prepare(
      "SELECT * FROM job_runs WHERE job = 'reconciliation' ORDER BY id DESC LIMIT 1",
    ).first<any>();
    expect(job?.status).toBe("ok");
    const hb = await env.DB.prepare("SELECT * FROM heartbeats WHERE component = 'reconciliation'").first<any>();
    expect(hb?.last_outcome).toBe("ok");

    const got = await api("GET", `/api/v1/reconciliation?run_id=${res.body.run.id}`);
    expect(got.status).toBe(200);
    expect(got.body.run.id).toBe(res.body.run.id);
    expect(got.body.recent_runs.length).toBeGreaterThan(0);
  });

  it("runs one at a time: while another run holds the lock a run is refused (409 through the API) and changes nothing; an expired lock of a dead run is taken over", async () => {
    const m = mint("LOCK");
    await openLive(m, "1000");
    const w = await tradingWallet([]);
    // Another run in progress (its lease still valid).
    await env.DB.prepare("INSERT INTO job_locks (name, holder, expires_at) VALUES ('reconciliation', 'other', ?)")
      .bind(new Date(Date.now() + 600_000).toISOString())
      .run();
    const runsBefore = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconciliation_runs").first<{ n: number }>();
    expect(await reconcile(w.env, "cron")).toBeNull();
    const viaApi = await createApp().request(
      "/api/v1/reconciliation/run",
      { method: "POST", headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } },
      w.env,
    );
    expect(viaApi.status).toBe(409);
    expectErrorShape(await viaApi.json(), "Conflict");
    const runsDuring = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconciliation_runs").first<{ n: number }>();
    expect(runsDuring?.n).toBe(runsBefore?.n);
    expect(
      await env.DB.prepare("SELECT * FROM reconciliation_missing WHERE token_mint = ?").bind(m).first(),
    ).toBeNull();
    const job = await env.DB.prepare(
      "SELECT * FROM job_runs WHERE job = 'reconciliation' ORDER BY id DESC LIMIT 1",
    ).first<any>();
    expect(job?.status).toBe("skipped");

    // The holder died: its lease expires and the next run takes the lock over, then releases it.
    await env.DB.prepare("UPDATE job_locks SET expires_at = ? WHERE name = 'reconciliation'")
      .bind(new Date(Date.now() - 1000).toISOString())
      .run();
    const done = await reconcile(w.env, "api");
    const mine = (await findingsOf(done?.run_id as number)).filter((x) => x.token_mint === m);
    expect(mine.map((x) => [x.kind, x.observations])).toEqual([["position_without_holding", 1]]);
    expect(await env.DB.prepare("SELECT * FROM job_locks WHERE name = 'reconciliation'").first()).toBeNull();
  });

  it("a holdings refresh that fails skips the holdings comparison with its reason: nothing counted, nothing closed, no holdings alert resolved", async () => {
    const m = mint("RPCF");
    const p = await openLive(m, "3000");
    const w = await tradingWallet([]);
    const r1 = await reconcile(w.env, "api");
    expect((await findingsOf(r1?.run_id as number)).filter((x) => x.position_id === p.id)).toHaveLength(1);
    await agePreviousObservation(p.id);
    await fake.fail("rpc.getTokenAccountsByOwner", { mode: "status", status: 503, times: 10 });
    const r2 = await reconcile(w.env, "api");
    await fake.clearFailure("rpc.getTokenAccountsByOwner");
    expect(r2?.holdings_checked).toBe(false);
    expect(r2?.holdings_skip_reason).toMatch(/token holdings/);
    expect((await positionRow(p.id)).status).toBe("open");
    const missing = await env.DB.prepare("SELECT observations FROM reconciliation_missing WHERE position_id = ?")
      .bind(p.id)
      .first<{ observations: number }>();
    expect(missing?.observations).toBe(1);
    expect((await alertOf(`position_without_holding:${p.id}`))?.status).toBe("open");
  });

  it("a close whose D1 write fails is healed by the next run through the actor; the closed state survives eviction", async () => {
    const m = mint("HEAL");
    const p = await openLive(m, "3000");
    const w = await tradingWallet([]);
    await reconcile(w.env, "api");
    await agePreviousObservation(p.id);
    // The actor decides and persists the close, then its D1 write fails once.
    const fault = faultyD1(env.DB, { match: /positions/i });
    // The row goes through the shared D1 writer (src/pipeline/shared-d1-write.ts): its D1 is the one failing.
    const restore = await patchWriter({ DB: fault.binding });
    const r2 = await reconcile(w.env, "api");
    expect(fault.thrown()).toBe(1);
    expect(r2?.positions_closed).toBe(0);
    expect((await p.actor.status()).position_status).toBe("closed");
    expect((await positionRow(p.id)).status).toBe("open"); // the read model lags behind
    await restore();
    await evictDurableObject(p.actor as unknown as DurableObjectStub);
    await agePreviousObservation(p.id);
    const r3 = await reconcile(w.env, "api");
    expect(r3?.positions_closed).toBe(1);
    const row = await positionRow(p.id);
    expect([row.status, row.exit_reason]).toEqual(["closed", "sold_externally"]);
    expect((await p.actor.status()).position_status).toBe("closed");
  });

  it("two runs started together: exactly one runs, the other is skipped", async () => {
    const w = await tradingWallet([]);
    const both = await Promise.all([reconcile(w.env, "api"), reconcile(w.env, "api")]);
    expect(both.filter((x) => x === null)).toHaveLength(1);
  });

  it("a D1 failure while storing the findings marks the run error, releases the lock, and the next run succeeds", async () => {
    const stray = mint("FAULT");
    const w = await tradingWallet([{ mint: stray, amount: "9" }]);
    const db = faultyD1(env.DB, { match: /insert into "reconciliation_findings"/i });
    await expect(reconcile({ ...w.env, DB: db.binding } as Env, "api")).rejects.toThrow(/injected D1 fault/);
    expect(db.thrown()).toBe(1);
    const last = await env.DB.prepare("SELECT * FROM reconciliation_runs ORDER BY id DESC LIMIT 1").first<any>();
    expect(last.status).toBe("error");
    expect(last.error).toMatch(/injected D1 fault/);
    expect(await env.DB.prepare("SELECT * FROM job_locks WHERE name = 'reconciliation'").first()).toBeNull();
    const next = await reconcile(w.env, "api");
    expect(
      (await findingsOf(next?.run_id as number))
        .filter((x) => x.kind === "holding_without_position")
        .map((x) => x.token_mint),
    ).toEqual([stray]);
    // The alert raised by the failed run and by this one is one row.
    expect((await alertOf(`holding_without_position:${stray}`))?.count).toBe(2);
  });

  it("a D1 failure writing the run row itself still releases the lock: the next run is not locked out for the lease", async () => {
    const db = faultyD1(env.DB, { match: /insert into "reconciliation_runs"/i });
    await expect(reconcile({ ...env, DB: db.binding } as Env, "api")).rejects.toThrow();
    expect(db.thrown()).toBe(1);
    expect(await env.DB.prepare("SELECT * FROM job_locks WHERE name = 'reconciliation'").first()).toBeNull();
    expect(await reconcile(env, "api")).not.toBeNull();
  });

  it("the hourly cron runs it, recorded in job_runs and the heartbeats", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconciliation_runs WHERE trigger = 'cron'").first<{
      n: number;
    }>();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconciliation_runs WHERE trigger = 'cron'").first<{
      n: number;
    }>();
    expect(after?.n).toBe((before?.n ?? 0) + 1);
    const job = await env.DB.prepare(
      "SELECT * FROM job_runs WHERE job = 'reconciliation' AND cron = '0 * * * *' ORDER BY id DESC LIMIT 1",
    ).first<any>();
    expect(job?.status).toBe("ok");
    const hb = await env.DB.prepare("SELECT kind FROM heartbeats WHERE component = 'reconciliation'").first<any>();
    expect(hb?.kind).toBe("cron");
  });
});

describe("reconciliation API input", () => {
  it.each([
    ["/api/v1/reconciliation?bogus=1", 400, "ValidationError"],
    ["/api/v1/reconciliation?run_id=abc", 400, "ValidationError"],
    ["/api/v1/reconciliation?run_id=-3", 400, "ValidationError"],
    ["/api/v1/reconciliation?kind=nope", 400, "ValidationError"],
    ["/api/v1/reconciliation?page_size=5000", 400, "ValidationError"],
    ["/api/v1/reconciliation?run_id=987654321", 404, "NotFound"],
  ])("GET %s → %i %s", async (path, status, error) => {
    const res = await api("GET", path);
    expect(res.status).toBe(status);
    expectErrorShape(res.body, error);
  });

  it("POST /reconciliation/run with an unknown parameter is refused and starts no run; without a token it is 401", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconciliation_runs").first<{ n: number }>();
    const res = await api("POST", "/api/v1/reconciliation/run?dry=1");
    expect(res.status).toBe(400);
    expectErrorShape(res.body, "ValidationError");
    expect(res.body.detail).toMatch(/dry/);
    const anon = await api("POST", "/api/v1/reconciliation/run", undefined, { authorization: "" });
    expect(anon.status).toBe(401);
    expectErrorShape(anon.body);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconciliation_runs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("both routes are in /openapi.json", async () => {
    const doc = await api("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/reconciliation", "/api/v1/reconciliation/run"]),
    );
  });
});
