import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import jupiterDocs from "../../shared/fixtures/jupiter-price-v3.docs.json";
import { PriceV3Schema, pricesFromV3 } from "../src/upstream/jupiter";
import { LEADER, mint, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { resetFeedRounds } from "./helpers/price-feed";

const feed = () => env.PRICE_FEED.getByName("default");

/** Fixes the feed's clock (its `now()` seam), or gives it back the real one with `null`. */
async function setFeedClock(ms: number | null) {
  await runInDurableObject(feed(), (instance) => {
    const o = instance as unknown as { now?: () => number };
    if (ms === null) delete o.now;
    else o.now = () => ms;
  });
}

/** Moves a position's own poll alarm an hour out: the test runs it (runDurableObjectAlarm), not the clock. */
async function parkAlarm(actor: DurableObjectStub) {
  await runInDurableObject(actor, (_i, state) => state.storage.setAlarm(Date.now() + 3_600_000));
}

beforeEach(async () => {
  await fake.reset();
  await setConfig({ price_max_age_seconds: 300 });
  await resetFeedRounds();
});
// A test that fails while the feed is held must not stall the next ones.
afterEach(async () => {
  await feed().releaseFlush();
  await setFeedClock(null);
});

/**
 * Upstream call counts must not depend on how fast requests or alarms run (a loaded CI machine spread
 * one round over several 15 ms windows: 3 Jupiter calls where 1 was expected). These tests hold the
 * feed's flush, drive every request or alarm, wait until the feed reports them all collected (a
 * condition, not a delay), then release the round explicitly.
 */
async function oneRound<T>(expectedRequests: number, drive: () => Promise<T>): Promise<T> {
  await feed().holdFlush();
  const driven = drive();
  await waitFor(async () => (await feed().status()).collecting_requests >= expectedRequests, 15_000);
  await feed().releaseFlush();
  return driven;
}

describe("PriceFeed coalescing", () => {
  it("serves 50 concurrent single-mint reads with one Jupiter call", async () => {
    const mints = Array.from({ length: 50 }, (_, i) => mint(`C${i}`));
    await fake.tokens(...mints.map((m, i) => ({ mint: m, price_usd: 1 + i / 100 })));
    const answers = await oneRound(50, () => Promise.all(mints.map((m) => feed().getPrices([m]))));
    mints.forEach((m, i) => {
      expect(answers[i]?.[m]).toMatchObject({ mint: m, price_usd: 1 + i / 100, source: "jupiter", age_seconds: 0 });
    });
    const calls = await fake.calls();
    expect(calls["jupiter.price"]).toBe(1);
    expect(calls["dexscreener.tokens"] ?? 0).toBe(0);
  });

  it("reads arriving slower than the coalescing window still cost one Jupiter call in a held round", async () => {
    const mints = Array.from({ length: 10 }, (_, i) => mint(`SL${i}`));
    await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 2 })));
    await feed().holdFlush();
    const pending: Promise<unknown>[] = [];
    for (const [i, m] of mints.entries()) {
      pending.push(feed().getPrices([m]));
      // Each read is in before the next is sent: far apart, as under load, yet one round.
      await waitFor(async () => (await feed().status()).collecting_requests === i + 1);
    }
    expect((await fake.calls())["jupiter.price"] ?? 0).toBe(0);
    expect(await feed().releaseFlush()).toEqual({ released: 10 });
    await Promise.all(pending);
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    expect((await feed().status()).held).toBe(false);
  });

  it("50 open positions on distinct mints polled in one round cost one Jupiter call", async () => {
    const mints = Array.from({ length: 50 }, (_, i) => mint(`P${i}`));
    await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 1, decimals: 6 })));
    const ids = mints.map((m) => `pos_feed_${m}`);
    const actors = ids.map((id) => env.POSITION_ACTOR.getByName(id));
    // Held from before the opens: an alarm that fires on its own (opens arm one 20 s out) joins the round too.
    await feed().holdFlush();
    await Promise.all(
      actors.map((actor, i) =>
        actor.open({
          position_id: ids[i] as string,
          entry_order_id: `ord_feed_${i}`,
          wallet_id: null,
          source_wallet_address: LEADER,
          signal_id: null,
          token_mint: mints[i] as string,
          token_decimals: 6,
          mode: "simulation",
          exit_strategy_id: null,
          entry_price_usd: 1,
          entry_amount: "50000000",
          entry_cost_usd: 50,
        }),
      ),
    );
    await fake.reset();
    await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 1.1, decimals: 6 })));
    await oneRound(50, () => Promise.all(actors.map((a) => runDurableObjectAlarm(a))));
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    const rows = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM positions WHERE id LIKE 'pos_feed_%' AND current_price_usd = 1.1 AND price_source = 'jupiter'`,
    ).first<{ n: number }>();
    expect(rows?.n).toBe(50);
    // The polls re-armed themselves: stop them, so that no later test counts their calls.
    await Promise.all(actors.map((a) => runInDurableObject(a, (_i, state) => state.storage.deleteAlarm())));
  });

  it("60 positions polling one at a time, spread over a round, cost ceil(60/50) = 2 Jupiter calls per round", async () => {
    // Each position polls on its own alarm: a round's polls arrive one by one, not in one coalescing window.
    // The feed's clock is fixed per round, so what counts as "fresh" never depends on how fast this runs.
    const mints = Array.from({ length: 60 }, (_, i) => mint(`RD${i}`));
    await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 1, decimals: 6 })));
    const ids = mints.map((m) => `pos_round_${m}`);
    const actors = ids.map((id) => env.POSITION_ACTOR.getByName(id));
    // The feed's clock is fixed from the opens on: each open joins the round (PriceFeed.joinRound), the round
    // then polls at t0 and t0 + 20 s, however long the opens took.
    const t0 = Date.now();
    await setFeedClock(t0);
    try {
      await feed().holdFlush(); // an alarm firing on its own before round 1 joins round 1
      await Promise.all(
        actors.map((actor, i) =>
          actor.open({
            position_id: ids[i] as string,
            entry_order_id: `ord_round_${i}`,
            wallet_id: null,
            source_wallet_address: LEADER,
            signal_id: null,
            token_mint: mints[i] as string,
            token_decimals: 6,
            mode: "simulation",
            exit_strategy_id: null,
            entry_price_usd: 1,
            entry_amount: "50000000",
            entry_cost_usd: 50,
          }),
        ),
      );
      // Each poll below is one the test runs: a position's own alarm (armed 20 s out, re-armed by each poll)
      // firing by itself on a slow machine would ask twice in a round. Parked an hour out after every run.
      await Promise.all(actors.map((a) => parkAlarm(a)));
      await fake.reset();
      await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 1, decimals: 6 })));
      // Round 1, all together (held): the feed learns the mints; ceil(60/50) calls.
      await oneRound(60, () => Promise.all(actors.map((a) => runDurableObjectAlarm(a).then(() => parkAlarm(a)))));
      expect((await fake.calls())["jupiter.price"]).toBe(2);
      // Idle between rounds, the feed may be evicted: what it learnt of the polls survives.
      await evictDurableObject(feed());
      // Round 2, 20 s later (the urgent poll), one alarm at a time, each answered before the next starts:
      // the most spread a round can be. The calls carry the polls due next in their free ids.
      await setFeedClock(t0 + 20_000);
      for (const a of actors) {
        expect(await runDurableObjectAlarm(a)).toBe(true);
        await parkAlarm(a);
      }
      expect((await fake.calls())["jupiter.price"]).toBe(4);
      expect((await feed().status()).served_fresh).toBeGreaterThanOrEqual(58);
      const rows = await env.DB.prepare(
        `SELECT COUNT(*) AS n FROM positions WHERE id LIKE 'pos_round_%' AND price_source = 'jupiter' AND current_price_usd = 1`,
      ).first<{ n: number }>();
      expect(rows?.n).toBe(60);
    } finally {
      await Promise.all(actors.map((a) => runInDurableObject(a, (_i, state) => state.storage.deleteAlarm())));
    }
  }, 90_000);

  it("a piggybacked price answers its poll once within the freshness window, never a later or stale read", async () => {
    const [a, b, c] = [mint("FWA"), mint("FWB"), mint("FWC")];
    await fake.tokens({ mint: a, price_usd: 1 }, { mint: b, price_usd: 2 }, { mint: c, price_usd: 3 });
    const t0 = Date.now();
    await setFeedClock(t0);
    await feed().getPrices([b, c]);
    await setFeedClock(t0 + 20_000);
    // b and c are due (asked 20 s ago, the shortest poll): they ride in a's call.
    expect((await feed().getPrices([a]))[a]).toMatchObject({ price_usd: 1, source: "jupiter" });
    expect((await fake.calls())["jupiter.price"]).toBe(2);
    await fake.tokens({ mint: b, price_usd: 2.5 }, { mint: c, price_usd: 3.5 });
    // b's poll 1 s later: answered from that fetch, with its age, no call.
    await setFeedClock(t0 + 21_000);
    expect((await feed().getPrices([b]))[b]).toMatchObject({ price_usd: 2, source: "jupiter", age_seconds: 1 });
    expect((await fake.calls())["jupiter.price"]).toBe(2);
    // Asked again: the piggybacked price answered one request only; this one goes upstream.
    expect((await feed().getPrices([b]))[b]).toMatchObject({ price_usd: 2.5, age_seconds: 0 });
    expect((await fake.calls())["jupiter.price"]).toBe(3);
    // c asked past the window: never served stale as fresh.
    await setFeedClock(t0 + 23_001);
    expect((await feed().getPrices([c]))[c]).toMatchObject({ price_usd: 3.5, source: "jupiter", age_seconds: 0 });
    expect((await fake.calls())["jupiter.price"]).toBe(4);
  });

  it("a piggybacked mint Jupiter does not price is not asked again in its window", async () => {
    const [u, a, b] = [mint("UNP"), mint("UNA"), mint("UNB")];
    await fake.tokens(
      { mint: u, price_usd: null, dex_price_usd: null },
      { mint: a, price_usd: 1 },
      { mint: b, price_usd: 2 },
    );
    const t0 = Date.now();
    await setFeedClock(t0);
    await feed().getPrices([u]); // u is tracked: its next poll is due at t0 + 20 s
    await setFeedClock(t0 + 20_000);
    const before = (await feed().status()).piggybacked;
    await feed().getPrices([a]); // u rides in a's call; Jupiter has no price for it
    expect((await feed().status()).piggybacked).toBe(before + 1);
    // Another call inside u's window: u is remembered as unpriced, not asked again.
    await setFeedClock(t0 + 21_000);
    await feed().getPrices([b]);
    expect((await feed().status()).piggybacked).toBe(before + 1);
    // u's own poll still gets every fallback (and an answer of null: nobody prices it).
    expect((await feed().getPrices([u]))[u]).toBeNull();
  });

  it("a position's first poll joins the round: it is due with the round's polls and priced by their call", async () => {
    const [a, b, d] = [mint("JRA"), mint("JRB"), mint("JRD")];
    await fake.tokens({ mint: a, price_usd: 1 }, { mint: b, price_usd: 2 }, { mint: d, price_usd: 4 });
    const t0 = Date.now();
    await setFeedClock(t0);
    await feed().getPrices([a, b]); // the round: polled again at t0 + 20 s
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    // A position on d opens 7 s into the round's interval: it polls first with the round, 13 s later.
    await setFeedClock(t0 + 7_000);
    expect(await feed().joinRound(d, 20_000)).toEqual({ delay_ms: 13_000 });
    await setFeedClock(t0 + 20_000);
    await feed().getPrices([a]);
    await setFeedClock(t0 + 20_500);
    expect((await feed().getPrices([b]))[b]).toMatchObject({ price_usd: 2, age_seconds: 0 });
    expect((await feed().getPrices([d]))[d]).toMatchObject({ price_usd: 4, source: "jupiter" });
    // One call for the round, d's first poll included.
    expect((await fake.calls())["jupiter.price"]).toBe(2);
  });

  it("PositionActor.open arms its first poll at the round's next polls", async () => {
    const [a, d] = [mint("JPA"), mint("JPD")];
    await fake.tokens({ mint: a, price_usd: 1 }, { mint: d, price_usd: 1 });
    const t0 = Date.now();
    await setFeedClock(t0 - 7_000);
    await feed().getPrices([a]); // a's next poll: t0 + 13 s
    await setFeedClock(null);
    const id = `pos_join_${d}`;
    const actor = env.POSITION_ACTOR.getByName(id);
    await actor.open({
      position_id: id,
      entry_order_id: `ord_join_${d}`,
      wallet_id: null,
      source_wallet_address: LEADER,
      signal_id: null,
      token_mint: d,
      token_decimals: 6,
      mode: "simulation",
      exit_strategy_id: null,
      entry_price_usd: 1,
      entry_amount: "50000000",
      entry_cost_usd: 50,
    });
    const after = Date.now();
    try {
      const alarm = Date.parse(String((await actor.status()).next_alarm_at));
      // alarm = a's predicted poll + the time between the feed's answer and the position's clock read.
      expect(alarm).toBeGreaterThanOrEqual(t0 + 13_000);
      expect(alarm).toBeLessThanOrEqual(after + 13_000);
    } finally {
      await runInDurableObject(actor, (_i, state) => state.storage.deleteAlarm());
    }
  });

  it("splits more than 50 mints into ceil(n/50) Jupiter calls", async () => {
    const mints = Array.from({ length: 120 }, (_, i) => mint(`S${i}`));
    await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 3 })));
    const out = await feed().getPrices(mints);
    expect(Object.values(out).every((q) => q?.price_usd === 3)).toBe(true);
    expect((await fake.calls())["jupiter.price"]).toBe(3);
  });
});

describe("PriceFeed fallbacks", () => {
  it("uses DexScreener for a mint Jupiter omits, Jupiter for the others", async () => {
    const [a, b] = [mint("OMA"), mint("OMB")];
    await fake.tokens({ mint: a, price_usd: 2 }, { mint: b, price_usd: null, dex_price_usd: 0.75 });
    const out = await feed().getPrices([a, b]);
    expect(out[a]).toMatchObject({ price_usd: 2, source: "jupiter" });
    expect(out[b]).toMatchObject({ price_usd: 0.75, source: "dexscreener" });
    const calls = await fake.calls();
    expect(calls["dexscreener.tokens"]).toBe(1);
    const dexPaths = (await fake.requests()).filter((r) => r.route === "dexscreener.tokens").map((r) => r.path);
    expect(dexPaths[0]).toContain(b);
    expect(dexPaths[0]).not.toContain(a);
  });

  it("uses DexScreener for every mint when Jupiter fails (HTTP 500, timeout, malformed body)", async () => {
    for (const f of [{ status: 500 }, { mode: "timeout" as const }, { mode: "malformed" as const }]) {
      await fake.reset();
      const m = mint("JF");
      await fake.tokens({ mint: m, price_usd: 5, dex_price_usd: 4.9 });
      await fake.fail("jupiter.price", f);
      const out = await feed().getPrices([m]);
      expect(out[m]).toMatchObject({ price_usd: 4.9, source: "dexscreener", age_seconds: 0 });
    }
  });

  it("falls back to the last known price up to price_max_age_seconds, then answers null", async () => {
    const m = mint("LK");
    await fake.tokens({ mint: m, price_usd: 1.25 });
    expect((await feed().getPrices([m]))[m]?.source).toBe("jupiter");
    await fake.fail("jupiter.price", { status: 503 });
    await fake.fail("dexscreener.tokens", { status: 502 });

    const recent = (await feed().getPrices([m]))[m];
    expect(recent).toMatchObject({ price_usd: 1.25, source: "last_known" });

    // 4 minutes old: still served, with its age.
    await runInDurableObject(feed(), (_i, state) => {
      state.storage.sql.exec("UPDATE last_prices SET observed_at_ms = ? WHERE mint = ?", Date.now() - 240_000, m);
    });
    const aged = (await feed().getPrices([m]))[m];
    expect(aged).toMatchObject({ price_usd: 1.25, source: "last_known" });
    expect(aged?.age_seconds).toBeGreaterThanOrEqual(239);
    expect(aged?.age_seconds).toBeLessThanOrEqual(300);

    // 6 minutes old: price unavailable.
    await runInDurableObject(feed(), (_i, state) => {
      state.storage.sql.exec("UPDATE last_prices SET observed_at_ms = ? WHERE mint = ?", Date.now() - 360_000, m);
    });
    expect((await feed().getPrices([m]))[m]).toBeNull();
  });

  it("answers null for a mint nobody prices and never saw a price", async () => {
    const m = mint("NONE");
    const out = await feed().getPrices([m]);
    expect(out).toEqual({ [m]: null });
  });

  it("refuses a malformed request", async () => {
    let msg = "";
    try {
      await feed().getPrices([""] as string[]);
    } catch (err) {
      msg = String(err);
    }
    expect(msg).toMatch(/mints/);
  });
});

describe("PriceFeed read-ahead (issue 10)", () => {
  it("a price read ahead answers the next request for it without a call, once", async () => {
    const m = mint("RDA");
    await fake.tokens({ mint: m, price_usd: 3, decimals: 6 });
    expect(await feed().readAhead([m])).toEqual({ reading: 1 });
    // Read ahead again while its round has not answered: nothing more is asked.
    expect(await feed().readAhead([m])).toEqual({ reading: 0 });
    await waitFor(async () => ((await fake.calls())["jupiter.price"] ?? 0) >= 1);
    await waitFor(async () => (await feed().status()).in_flight === false);
    const first = await feed().getPrices([m]);
    expect(first[m]).toMatchObject({ price_usd: 3, source: "jupiter" });
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    // One-shot: the next request is a new call.
    await feed().getPrices([m]);
    expect((await fake.calls())["jupiter.price"]).toBe(2);
  });

  it("a request arriving while the read-ahead round collects joins it: one call, and no price left over", async () => {
    const m = mint("RDJ");
    await fake.tokens({ mint: m, price_usd: 4, decimals: 6 });
    await feed().readAhead([m]);
    const got = await feed().getPrices([m]);
    expect(got[m]).toMatchObject({ price_usd: 4 });
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    // The request took the read-ahead's price: the next one asks again.
    await feed().getPrices([m]);
    expect((await fake.calls())["jupiter.price"]).toBe(2);
  });

  it("a request for a mint already collecting does not extend the round's idle window; a new mint does", async () => {
    const [m, n] = [mint("RDW"), mint("RDN")];
    await fake.tokens({ mint: m, price_usd: 5, decimals: 6 }, { mint: n, price_usd: 6, decimals: 6 });
    // Held, so no timer can flush the round between the looks below however slow the machine is.
    await feed().holdFlush();
    const idleTimer = () =>
      runInDurableObject(feed(), (instance) => {
        const c = (instance as unknown as { rounds: { collecting: { idleTimer: unknown } | null } }).rounds.collecting;
        return c ? { handle: c.idleTimer } : null;
      });
    const sameTimer = async (before: { handle: unknown } | null) =>
      runInDurableObject(feed(), (instance) => {
        const c = (instance as unknown as { rounds: { collecting: { idleTimer: unknown } | null } }).rounds.collecting;
        return c !== null && before !== null && c.idleTimer === before.handle;
      });
    await feed().readAhead([m]);
    const armed = await idleTimer();
    expect(armed).not.toBeNull();
    const fill = feed().getPrices([m]); // the fill of the price read ahead: adds nothing to the round
    await waitFor(async () => (await feed().status()).collecting_requests >= 2);
    expect(await sameTimer(armed)).toBe(true);
    const other = feed().getPrices([n]); // a new mint: the window waits for more again
    await waitFor(async () => (await feed().status()).collecting_requests >= 3);
    expect(await sameTimer(armed)).toBe(false);
    await feed().releaseFlush();
    expect((await fill)[m]).toMatchObject({ price_usd: 5 });
    expect((await other)[n]).toMatchObject({ price_usd: 6 });
    expect((await fake.calls())["jupiter.price"]).toBe(1);
  });

  it("refuses a malformed read-ahead", async () => {
    let msg = "";
    try {
      await feed().readAhead([""]);
    } catch (err) {
      msg = String(err);
    }
    expect(msg).toMatch(/mints must be/);
  });
});

describe("PriceFeed reference prices (issue 10)", () => {
  it("answers from the last fetch within max_age_ms with its age, refreshes behind past half, asks past the age", async () => {
    const m = mint("REF");
    const ref = { max_age_ms: 10_000 };
    await fake.tokens({ mint: m, price_usd: 2, decimals: 9 });
    const t0 = Date.now();
    await setFeedClock(t0);
    const servedBefore = (await feed().status()).served_reference as number;
    // Never fetched: asked now.
    expect((await feed().getPrices([m], ref))[m]).toMatchObject({ price_usd: 2, age_seconds: 0, source: "jupiter" });
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    await fake.tokens({ mint: m, price_usd: 3, decimals: 9 });
    // 4 s later: the same fetch, with its real age, no call and no round.
    await setFeedClock(t0 + 4_000);
    expect((await feed().getPrices([m], ref))[m]).toMatchObject({ price_usd: 2, age_seconds: 4, source: "jupiter" });
    expect((await fake.calls())["jupiter.price"]).toBe(1);
    expect((await feed().status()).served_reference).toBe(servedBefore + 1);
    // Past half the age: still answered at once, and fetched again behind.
    await setFeedClock(t0 + 6_000);
    expect((await feed().getPrices([m], ref))[m]).toMatchObject({ price_usd: 2, age_seconds: 6 });
    await waitFor(async () => (await fake.calls())["jupiter.price"] === 2);
    await waitFor(async () => (await feed().status()).in_flight === false);
    await setFeedClock(t0 + 7_000);
    expect((await feed().getPrices([m], ref))[m]).toMatchObject({ price_usd: 3, age_seconds: 1 });
    // A request without max_age_ms is never answered from it: it asks (the refresh's one-shot price aside).
    await setFeedClock(t0 + 10_000);
    expect((await feed().getPrices([m]))[m]).toMatchObject({ price_usd: 3, age_seconds: 0 });
    expect((await fake.calls())["jupiter.price"]).toBe(3);
    // Past the age: asked again.
    await fake.tokens({ mint: m, price_usd: 4, decimals: 9 });
    await setFeedClock(t0 + 21_000);
    expect((await feed().getPrices([m], ref))[m]).toMatchObject({ price_usd: 4, age_seconds: 0 });
    expect((await fake.calls())["jupiter.price"]).toBe(4);
    // Evicted: the last fetch is read back from SQLite, still answered without a call.
    await evictDurableObject(feed());
    await setFeedClock(t0 + 22_000);
    expect((await feed().getPrices([m], ref))[m]).toMatchObject({ price_usd: 4, age_seconds: 1 });
    expect((await fake.calls())["jupiter.price"]).toBe(4);
  });

  it("refuses a malformed max_age_ms", async () => {
    for (const opts of [{ max_age_ms: -1 }, { max_age_ms: 400_000 }, { max_age_ms: "5" }, "5"]) {
      let msg = "";
      try {
        await feed().getPrices([mint("REFX")], opts as never);
      } catch (err) {
        msg = String(err);
      }
      expect(msg).toMatch(/max_age_ms must be|options must be an object/);
    }
    expect((await fake.calls())["jupiter.price"] ?? 0).toBe(0);
  });
});

describe("PriceFeed counters", () => {
  it("counts in memory, reach SQLite within a second in one write, and survive an eviction after it", async () => {
    const m = mint("CNT");
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    const before = (await feed().status()).requests as number;
    const stored = () =>
      runInDurableObject(
        feed(),
        (_i, state) =>
          state.storage.sql.exec<{ n: number }>("SELECT n FROM counters WHERE name = 'requests'").toArray()[0]?.n ?? 0,
      );
    await Promise.all([feed().getPrices([m]), feed().getPrices([m]), feed().getPrices([m])]);
    expect((await feed().status()).requests).toBe(before + 3);
    // Written behind, not on each request: the stored count catches up once the write timer has run.
    await waitFor(async () => (await stored()) === before + 3);
    await evictDurableObject(feed());
    expect((await feed().status()).requests).toBe(before + 3);
  });
});

describe("Jupiter Price v3 parsing", () => {
  it("parses the documented payload and keeps only asked mints with a positive price", () => {
    const data = PriceV3Schema.parse(jupiterDocs);
    const sol = "So11111111111111111111111111111111111111112";
    const jup = "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN";
    const prices = pricesFromV3(data, [sol, jup, "missing"]);
    expect(prices.get(sol)).toBeCloseTo(147.4789340738336, 9);
    expect(prices.get(jup)).toBeCloseTo(0.4056018512541055, 12);
    expect(prices.has("missing")).toBe(false);
  });
});
