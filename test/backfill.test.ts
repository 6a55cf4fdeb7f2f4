/**
 * DESIGN §1 backfill: watched-wallet transactions that never reached the webhook are found with
 * getSignaturesForAddress, fetched through Helius parse-transactions and handed to the WalletActors like a
 * delivery. Real actors and pipeline (as test/pipeline.e2e.test.ts), every upstream faked.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { nextCursor, planBackfill } from "../src/domain/backfill";
import worker from "../src/index";
import { runHourlyRefresh } from "../src/jobs/hourly-refresh";
import { nowIso } from "../src/lib/time";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";
import { waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { ordersOf, positionsOf } from "./helpers/rows";
import { deliver, insertWallet } from "./helpers/wallet-actor";

const nowS = () => Math.floor(Date.now() / 1000);
const hourAgo = () => nowIso(Date.now() - 3_600_000);

const signalOf = (sig: string) =>
  env.DB.prepare("SELECT * FROM signals WHERE transaction_signature = ?").bind(sig).first<any>();

/** A leader's swap, dated `agoS` seconds ago. */
function swap(wallet: string, mint: string, side: "buy" | "sell", agoS: number, tag = "") {
  return buildSwapTx({
    signature: fakeSignature(`${tag}-${side}-${agoS}-${wallet.slice(0, 12)}-${mint.slice(0, 12)}`),
    wallet,
    mint,
    side,
    quote_amount: 1,
    token_amount: side === "buy" ? 80_000 : 40_000,
    timestamp: nowS() - agoS,
  });
}

/** The on-chain history the fake RPC reports for `wallet` (slot order = list order, oldest first). */
async function onChain(wallet: string, txs: { signature: string; timestamp: number }[], failed: string[] = []) {
  await fake.wallet({
    address: wallet,
    signatures: txs.map((t, i) => ({
      signature: t.signature,
      slot: 300_000_000 + i,
      blockTime: t.timestamp,
      err: failed.includes(t.signature) ? { InstructionError: [2, { Custom: 6001 }] } : null,
    })),
  });
}

/**
 * Earlier tests' wallets out of the way: deactivated, and their positions closed by hand (a deactivated leader
 * with an open position is still scanned).
 */
async function quietEarlierWallets() {
  await env.DB.batch([
    env.DB.prepare("UPDATE wallets SET is_active = 0"),
    env.DB.prepare("UPDATE positions SET status = 'closed', closed_at = ? WHERE status != 'closed'").bind(hourAgo()),
  ]);
}

const backfill = (body?: unknown) => api("POST", "/api/v1/sync/backfill", body);
const parseRequests = async () =>
  (await fake.requests())
    .filter((r) => r.route === "helius.transactions")
    .map((r) => (r.body as { transactions: string[] }).transactions);

beforeEach(async () => {
  await fake.reset();
  expect((await api("PATCH", "/api/v1/config", { swap_min_spacing_ms: 0 })).status).toBe(200);
});

describe("backfill planning (pure)", () => {
  const sig = (s: string, succeeded = true, block_time: number | null = 2000) => ({
    signature: s,
    succeeded,
    block_time,
  });

  it("keeps succeeded, unknown, watched-time signatures, oldest first", () => {
    const plan = planBackfill(
      [sig("d"), sig("c", false), sig("b"), sig("a", true, 999)],
      new Set(["b"]),
      1_000_000, // watched since t = 1000 s
      10,
    );
    expect(plan).toEqual({ checked: 4, skipped: 2, missing: ["d"], truncated: false });
    const all = planBackfill([sig("c"), sig("b"), sig("a", true, null)], new Set(), 1_000_000, 3);
    expect(all.missing).toEqual(["a", "b", "c"]);
    expect(all.truncated).toBe(true); // a full page still within the watch: older ones may exist
  });

  it("never moves the cursor past an unresolved signature", () => {
    const sigs = [sig("d"), sig("c"), sig("b"), sig("a")];
    expect(nextCursor(sigs, new Set())).toBe("d");
    expect(nextCursor(sigs, new Set(["c"]))).toBe("b");
    expect(nextCursor(sigs, new Set(["c", "a"]))).toBeNull(); // the oldest is unresolved: keep the cursor
    expect(nextCursor([], new Set())).toBeNull();
  });
});

describe("POST /api/v1/sync/backfill", () => {
  it("fetches exactly the transactions the webhook missed, in one parse call, and they become signals", async () => {
    const w = randomAddress();
    const id = await insertWallet(w, { created_at: hourAgo() });
    const mint = randomAddress();
    const [t1, t2, t3] = [
      swap(w, mint, "buy", 600, "1"),
      swap(w, mint, "buy", 500, "2"),
      swap(w, mint, "buy", 400, "3"),
    ];
    await onChain(w, [t1, t2, t3]);
    await fake.transactions(t1, t2, t3);
    expect((await deliver([t2])).body).toMatchObject({ accepted: 1 });
    await waitFor(() => signalOf(t2.signature));

    const res = await backfill({ wallet: w });
    expect(res.status).toBe(200);
    expect(res.body.wallets).toEqual([
      expect.objectContaining({
        wallet_id: id,
        address: w,
        checked: 3,
        missing: 2,
        recovered: 2,
        failed: 0,
        error: null,
      }),
    ]);
    expect(await parseRequests()).toEqual([[t1.signature, t3.signature]]); // oldest first, none known
    for (const t of [t1, t2, t3]) {
      const s = await waitFor(() => signalOf(t.signature));
      expect(s).toMatchObject({ wallet_id: id, signal_type: "buy" });
    }
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM signals WHERE wallet_address = ?").bind(w).first<any>();
    expect(n.n).toBe(3);

    // second run: the cursor stops the scan at the newest signature; nothing fetched, nothing re-signalled
    const again = await backfill({ wallet: id });
    expect(again.body.wallets[0]).toMatchObject({ checked: 0, missing: 0, recovered: 0, failed: 0 });
    expect((await fake.calls())["helius.transactions"]).toBe(1);
    const rpc = (await fake.requests()).filter((r) => r.route === "rpc.getSignaturesForAddress");
    expect((rpc.at(-1)?.body as any)?.params[1]).toMatchObject({ until: t3.signature });
  });

  it("a missing SELL older than max_signal_age_seconds still triggers the CRITICAL mirror exit", async () => {
    const leader = randomAddress();
    await insertWallet(leader, { created_at: hourAgo() }); // watched since before both trades
    const mint = randomAddress();
    await fake.tokens({ mint, price_usd: 0.004, liquidity_usd: 400_000, age_hours: 96 });
    expect((await api("PATCH", "/api/v1/config", { max_signal_age_seconds: 5 })).status).toBe(200);
    try {
      const buy = swap(leader, mint, "buy", 2);
      expect((await deliver([buy])).body).toMatchObject({ accepted: 1 });
      const [opened] = await waitFor(async () => {
        const ps = await positionsOf(mint);
        return ps.length ? ps : null;
      });

      // the leader sells half a second later; Helius never delivers it, and it is older than the max age
      // (a BUY this old would be stale) by the time the backfill finds it
      const sell = swap(leader, mint, "sell", 1);
      await onChain(leader, [buy, sell]);
      // after the sale the chain shows the other half still held (80 000 bought, 40 000 sold)
      await fake.wallet({ address: leader, token_accounts: [{ mint, amount: "40000000000", decimals: 6 }] });
      await fake.transactions(buy, sell);
      await new Promise((r) => setTimeout(r, Math.max(0, (sell.timestamp + 6) * 1000 - Date.now())));
      const res = await backfill({ wallet: leader });
      expect(res.body.wallets[0]).toMatchObject({ checked: 2, missing: 1, recovered: 1, failed: 0 });
      expect(await parseRequests()).toEqual([[sell.signature]]);

      const exit = await waitFor(async () =>
        (await ordersOf(mint)).find((o) => o.reason === "mirror_exit" && o.status === "filled"),
      );
      expect(exit).toMatchObject({ side: "sell", priority: "critical", position_id: opened.id });
      expect(await signalOf(sell.signature)).toMatchObject({ signal_type: "sell", filtered: 0, filter_reason: null });
      const after = await waitFor(async () => {
        const [p] = await positionsOf(mint);
        return p.current_amount !== p.entry_amount ? p : null;
      });
      const half = BigInt(opened.entry_amount) / 2n;
      expect(BigInt(after.current_amount)).toBeGreaterThanOrEqual(half - 1n);
      expect(BigInt(after.current_amount)).toBeLessThanOrEqual(half + 1n);
    } finally {
      expect((await api("PATCH", "/api/v1/config", { max_signal_age_seconds: 60 })).status).toBe(200);
    }
  });

  it("a recovered SELL made before the leader's re-entry does not close the position copied from that re-entry", async () => {
    const leader = randomAddress();
    await insertWallet(leader, { created_at: hourAgo() });
    const mint = randomAddress();
    await fake.tokens({ mint, price_usd: 0.004, liquidity_usd: 400_000, age_hours: 96 });
    const oldSell = swap(leader, mint, "sell", 300); // never delivered
    const reentry = swap(leader, mint, "buy", 1);
    expect((await deliver([reentry])).body).toMatchObject({ accepted: 1 });
    const [opened] = await waitFor(async () => {
      const ps = await positionsOf(mint);
      return ps.length ? ps : null;
    });
    await onChain(leader, [oldSell, reentry]);
    await fake.transactions(oldSell, reentry);

    const res = await backfill({ wallet: leader });
    expect(res.body.wallets[0]).toMatchObject({ missing: 1, recovered: 1 });
    const s = await waitFor(async () => {
      const row = await signalOf(oldSell.signature);
      return row?.processed_at ? row : null;
    });
    expect(s).toMatchObject({ signal_type: "sell", filtered: 1, filter_reason: "no_open_position" });
    expect((await ordersOf(mint)).filter((o) => o.side === "sell")).toHaveLength(0);
    expect((await positionsOf(mint))[0]).toMatchObject({
      id: opened.id,
      status: "open",
      current_amount: opened.entry_amount,
    });
  });

  it("a missing BUY older than max_signal_age_seconds is filtered stale_signal and never ordered", async () => {
    const w = randomAddress();
    await insertWallet(w, { created_at: hourAgo() });
    const mint = randomAddress();
    await fake.tokens({ mint, price_usd: 0.004, liquidity_usd: 400_000, age_hours: 96 });
    const late = swap(w, mint, "buy", 600); // 10 min old, max age 60 s
    await onChain(w, [late]);
    await fake.transactions(late);

    const res = await backfill({ wallet: w });
    expect(res.body.wallets[0]).toMatchObject({ missing: 1, recovered: 1 });
    const s = await waitFor(() => signalOf(late.signature));
    expect(s).toMatchObject({ signal_type: "buy", filtered: 1, filter_reason: "stale_signal" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await ordersOf(mint)).toHaveLength(0);
    expect(await positionsOf(mint)).toHaveLength(0);
  });

  it("skips failed transactions and those from before the wallet was watched", async () => {
    const w = randomAddress();
    await insertWallet(w, { created_at: nowIso(Date.now() - 1_800_000) });
    const mint = randomAddress();
    const old = swap(w, mint, "buy", 7200); // before the watch started
    const failed = swap(w, mint, "buy", 900, "failed");
    const good = swap(w, mint, "buy", 800, "good");
    await onChain(w, [old, failed, good], [failed.signature]);
    await fake.transactions(old, failed, good);

    const res = await backfill({ wallet: w });
    expect(res.body.wallets[0]).toMatchObject({ checked: 3, skipped: 2, missing: 1, recovered: 1 });
    expect(await parseRequests()).toEqual([[good.signature]]);
    expect(await signalOf(failed.signature)).toBeNull();
    expect(await signalOf(old.signature)).toBeNull();
  });

  it("a transaction Helius does not return yet holds the cursor and is fetched alone next run", async () => {
    const w = randomAddress();
    await insertWallet(w, { created_at: hourAgo() });
    const mint = randomAddress();
    const [a, b, c] = [swap(w, mint, "buy", 700, "a"), swap(w, mint, "buy", 600, "b"), swap(w, mint, "buy", 500, "c")];
    await onChain(w, [a, b, c]);
    await fake.transactions(a, c); // b not parsed yet

    const first = await backfill({ wallet: w });
    expect(first.body.wallets[0]).toMatchObject({ missing: 3, recovered: 2, failed: 1 });
    expect(first.body.wallets[0].error).toMatch(/returned 2 of 3/);
    await waitFor(() => signalOf(c.signature));

    await fake.transactions(b);
    const second = await backfill({ wallet: w });
    expect(second.body.wallets[0]).toMatchObject({ checked: 2, missing: 1, recovered: 1, failed: 0 });
    expect((await parseRequests()).at(-1)).toEqual([b.signature]);
    expect(await waitFor(() => signalOf(b.signature))).toMatchObject({ signal_type: "buy" });
  });

  it("without a wallet: every ACTIVE wallet; an RPC failure of one is reported while the others are recovered", async () => {
    await quietEarlierWallets();
    const [a, b, off] = [randomAddress(), randomAddress(), randomAddress()];
    await insertWallet(a, { created_at: hourAgo() });
    await insertWallet(b, { created_at: hourAgo() });
    await insertWallet(off, { created_at: hourAgo(), is_active: 0 });
    const mint = randomAddress();
    const [ta, tb, toff] = [swap(a, mint, "buy", 300), swap(b, mint, "buy", 300), swap(off, mint, "buy", 300)];
    await onChain(a, [ta]);
    await onChain(b, [tb]);
    await onChain(off, [toff]);
    await fake.transactions(ta, tb, toff);
    await fake.fail("rpc.getSignaturesForAddress", { status: 500, times: 1 }); // the first wallet scanned: a

    const res = await backfill();
    expect(res.status).toBe(200);
    expect(res.body.wallets_active).toBe(2);
    expect(res.body.wallets.map((x: any) => x.address)).toEqual([a, b]); // the inactive one is not scanned
    expect(res.body.wallets[0]).toMatchObject({ address: a, recovered: 0, error: expect.stringMatching(/solana-rpc/) });
    expect(res.body.wallets[1]).toMatchObject({ address: b, missing: 1, recovered: 1, error: null });
    expect(res.body.totals).toMatchObject({ recovered: 1, wallets_failed: 1 });
    await waitFor(() => signalOf(tb.signature));
    expect(await signalOf(ta.signature)).toBeNull();
    expect(await signalOf(toff.signature)).toBeNull();
    const scanned = (await fake.requests())
      .filter((r) => r.route === "rpc.getSignaturesForAddress")
      .map((r) => (r.body as any).params[0]);
    expect(scanned).not.toContain(off);

    // the failed wallet's cursor did not move: the next run recovers it
    const again = await backfill();
    expect(again.body.wallets.find((x: any) => x.address === a)).toMatchObject({ recovered: 1, error: null });
    expect(await waitFor(() => signalOf(ta.signature))).toBeTruthy();
  });

  it("without a wallet: a deactivated leader with an open position is still scanned, and its SELL mirrors", async () => {
    await quietEarlierWallets();
    const [off, gone] = [randomAddress(), randomAddress()];
    await insertWallet(off, { created_at: hourAgo(), is_active: 0 });
    await insertWallet(gone, { created_at: hourAgo(), is_active: 0 });
    const mint = randomAddress();
    const posId = `pos-bf-off-${mint.slice(0, 12)}`;
    await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
       VALUES (?, ?, ?, 6, 'simulation', 'open', 0.001, '1000000', 1, '1000000', ?)`,
    )
      .bind(posId, off, mint, hourAgo())
      .run();
    const sell = swap(off, mint, "sell", 120, "bf-off");
    await onChain(off, [sell]);
    await onChain(gone, [swap(gone, mint, "sell", 120, "bf-gone")]);
    await fake.transactions(sell);

    const res = await backfill();
    expect(res.status).toBe(200);
    expect(res.body.wallets.map((x: any) => x.address)).toEqual([off]); // the one without positions is not
    expect(res.body.wallets[0]).toMatchObject({ missing: 1, recovered: 1, error: null });
    expect(await waitFor(() => signalOf(sell.signature))).toMatchObject({ signal_type: "sell" });
  });

  it("answers 503 NotConfigured without HELIUS_API_KEY", async () => {
    const res = await worker.fetch(
      new Request("https://walltrack.test/api/v1/sync/backfill", {
        method: "POST",
        headers: { authorization: "Bearer test-operator-token", "content-type": "application/json" },
        body: "{}",
      }),
      { ...env, HELIUS_API_KEY: undefined },
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expectErrorShape(await res.json(), "NotConfigured");
    expect((await fake.calls())["rpc.getSignaturesForAddress"]).toBeUndefined();
  });

  it("answers 400 on bad input and 404 for a wallet that is not watched, scanning nothing", async () => {
    for (const body of [
      { wallet: "not-an-address" },
      { wallet: -3 },
      { limit: 0 },
      { limit: 1001 },
      { limit: 2.5 },
      { wallet: randomAddress(), surprise: true },
    ]) {
      const res = await backfill(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(res.body, "ValidationError");
    }
    const missing = await backfill({ wallet: randomAddress() });
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, "NotFound");
    expect((await fake.calls())["rpc.getSignaturesForAddress"]).toBeUndefined();
  });
});

describe("hourly job", () => {
  it("runs the backfill after the watchdog, and reports it skipped without HELIUS_API_KEY", async () => {
    await quietEarlierWallets();
    const w = randomAddress();
    await insertWallet(w, { created_at: hourAgo() });
    const t = swap(w, randomAddress(), "sell", 120);
    await onChain(w, [t]);
    await fake.transactions(t);

    const skipped = await runHourlyRefresh({ ...env, HELIUS_API_KEY: undefined }, Date.now());
    expect(skipped.detail).toMatchObject({ queue_pending: expect.any(Number), backfill: { status: "skipped" } });
    expect((await fake.calls())["helius.transactions"]).toBeUndefined();

    const ran = await runHourlyRefresh(env, Date.now());
    expect(ran.detail).toMatchObject({
      backfill: { status: "ok", wallets_active: 1, wallets_scanned: 1, missing: 1, recovered: 1, failed: 0 },
    });
    expect(await waitFor(() => signalOf(t.signature))).toMatchObject({ signal_type: "sell" });

    // a broken upstream does not break the job: reported per wallet, watchdog detail intact
    await onChain(w, [t, swap(w, randomAddress(), "sell", 60)]);
    await fake.fail("helius.transactions", { status: 500 });
    const broken = await runHourlyRefresh(env, Date.now());
    expect(broken.status).toBe("ok");
    expect(broken.detail).toMatchObject({
      open_positions: expect.any(Number),
      backfill: { failed: 1, wallets_failed: 1 },
    });
  });
});
