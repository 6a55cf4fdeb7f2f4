import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { SafetyOutcome } from "../src/db/token-safety";
import type { LeaderSaleNotice, LeaderSaleResult } from "../src/domain/swap-order";
import { fake } from "./helpers/fake";
import { addr, nativeBuy, tx } from "./helpers/helius";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

/** A pump.fun-style SELL: the wallet sends the token to the curve and gets native SOL back. */
function nativeSell(wallet: string, mint: string, o: { sol: number; tokens: number }) {
  const curve = addr();
  const raw = String(BigInt(Math.round(o.tokens * 1e6)));
  return tx({
    feePayer: wallet,
    source: "PUMP_FUN",
    type: "TRANSFER",
    natives: [{ amount: Math.round(o.sol * 1e9), from: curve, to: wallet }],
    tokens: [{ mint, amount: o.tokens, from: wallet, to: curve }],
    changes: [
      { user: wallet, mint, raw: `-${raw}`, decimals: 6 },
      { user: curve, mint, raw, decimals: 6 },
    ],
  });
}

/** A look-up held open until `release()`. */
class Gate {
  release!: () => void;
  readonly open = new Promise<void>((r) => {
    this.release = r;
  });
}

/**
 * Holds the named mints' token-safety look-ups open until released (the decision of a BUY of that mint
 * stops there), and records the order in which BUY safety looks and SELL sale notices happen.
 */
async function holdSafety(wallet: string, held: string[]) {
  const events: string[] = [];
  const gates = new Map(held.map((m) => [m, new Gate()]));
  await runInDurableObject(env.WALLET_ACTOR.getByName(wallet), (instance) => {
    const i = instance as unknown as {
      tokenSafety: (mint: string, config: unknown) => Promise<SafetyOutcome>;
      entriesLeaderSold: (n: LeaderSaleNotice) => Promise<LeaderSaleResult>;
    };
    const realSafety = i.tokenSafety.bind(instance);
    const realSold = i.entriesLeaderSold.bind(instance);
    i.tokenSafety = async (mint, config) => {
      events.push(`buy:${mint}`);
      const g = gates.get(mint);
      if (g) await g.open;
      events.push(`bought:${mint}`);
      return realSafety(mint, config);
    };
    i.entriesLeaderSold = async (n) => {
      events.push(`sell:${n.token_mint}`);
      return realSold(n);
    };
  });
  const stub = env.WALLET_ACTOR.getByName(wallet);
  return {
    events,
    /**
     * Until the actor waits on the mint's look-up. Polled (each poll is a round trip to the actor) rather
     * than a promise the actor resolves: the test's own I/O must stay in the test's context.
     */
    reached: async (m: string) => {
      for (let i = 0; i < 1000 && !events.includes(`buy:${m}`); i++) await stub.inbox();
      expect(events).toContain(`buy:${m}`);
    },
    // Released from inside the actor: what the decision does next runs in the actor's own I/O context.
    release: (m: string) => runInDurableObject(stub, () => (gates.get(m) as Gate).release()),
  };
}

async function leader() {
  const wallet = addr();
  await insertWallet(wallet);
  const mints = [addr(), addr()];
  for (const mint of mints)
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  const spy = await spyActor(wallet);
  return { wallet, mints: mints as [string, string], spy, stub: env.WALLET_ACTOR.getByName(wallet) };
}

const noAlarm = (stub: DurableObjectStub) =>
  runInDurableObject(stub, async (_i, state) => {
    await state.storage.deleteAlarm();
  });

beforeEach(async () => {
  await fake.reset();
});

describe("WalletActor: decided inside the delivery, per-mint chains (issue 10)", () => {
  it("the ack waits only for the inbox write; the decision goes on in the actor without any alarm", async () => {
    const { wallet, mints, spy, stub } = await leader();
    const hold = await holdSafety(wallet, [mints[0]]);
    const t = nativeBuy(wallet, mints[0], { sol: 1, tokens: 1000 });
    const res = await deliver([t], undefined, { wait: false });
    // Answered while the decision is held open inside the actor.
    expect(res).toMatchObject({ status: 200, body: { accepted: 1 } });
    await hold.reached(mints[0]);
    expect(spy.enqueued).toEqual([]);
    expect((await stub.inbox()).map((r) => r.state)).not.toContain("done");
    await noAlarm(stub); // no safety net: the delivery's own run must finish it
    await hold.release(mints[0]);
    await stub.drained();
    expect(spy.enqueued.map((r) => r.token_mint)).toEqual([mints[0]]);
    expect((await stub.inbox()).map((r) => r.state)).toEqual(["done"]);
    expect(await signalBySignature(t.signature)).toMatchObject({ signal_type: "buy", filtered: 0, entry_usd: 50 });
  });

  it("deliveries for different mints do not wait for each other", async () => {
    const { wallet, mints, spy, stub } = await leader();
    const hold = await holdSafety(wallet, [mints[0]]);
    const a = nativeBuy(wallet, mints[0], { sol: 1, tokens: 1000 });
    const b = nativeBuy(wallet, mints[1], { sol: 1, tokens: 1000 });
    expect((await deliver([a], undefined, { wait: false })).body).toMatchObject({ accepted: 1 });
    await hold.reached(mints[0]);
    expect((await deliver([b], undefined, { wait: false })).body).toMatchObject({ accepted: 1 });
    // b's whole decision runs while a's is still held: the drain of a's chain is not needed for it.
    for (let i = 0; i < 200 && spy.enqueued.length === 0; i++) await stub.inbox(); // yields to the actor
    expect(spy.enqueued.map((r) => r.token_mint)).toEqual([mints[1]]);
    await hold.release(mints[0]);
    await stub.drained();
    expect(spy.enqueued.map((r) => r.token_mint).sort()).toEqual([...mints].sort());
  });

  it("order is kept per mint: a SELL waits for the BUY of its mint, and the alarm does not take it meanwhile", async () => {
    const { wallet, mints, stub } = await leader();
    const hold = await holdSafety(wallet, [mints[0]]);
    const buy = nativeBuy(wallet, mints[0], { sol: 1, tokens: 1000 });
    const sell = { ...nativeSell(wallet, mints[0], { sol: 1.2, tokens: 1000 }), timestamp: buy.timestamp + 1 };
    expect((await deliver([buy], undefined, { wait: false })).body).toMatchObject({ accepted: 1 });
    await hold.reached(mints[0]);
    expect((await deliver([sell], undefined, { wait: false })).body).toMatchObject({ accepted: 1 });
    // The safety net run now: both rows are held by the mint's chain, neither is touched.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE inbox SET next_attempt_ms = 0");
    });
    await runDurableObjectAlarm(stub);
    expect(hold.events).toEqual([`buy:${mints[0]}`]);
    expect((await stub.inbox()).map((r) => r.state)).not.toContain("done");
    await hold.release(mints[0]);
    await stub.drained();
    expect(hold.events).toEqual([`buy:${mints[0]}`, `bought:${mints[0]}`, `sell:${mints[0]}`]);
    await settle(wallet);
    expect(await signalBySignature(sell.signature)).toMatchObject({ signal_type: "sell" });
  });

  it("the process dies mid-decision: the alarm armed by the delivery finishes the row", async () => {
    const { wallet, mints, stub } = await leader();
    await holdSafety(wallet, [mints[0]]);
    const t = nativeBuy(wallet, mints[0], { sol: 1, tokens: 1000 });
    expect((await deliver([t], undefined, { wait: false })).body).toMatchObject({ accepted: 1 });
    await runInDurableObject(stub, async (_i, state) => {
      expect(await state.storage.getAlarm()).not.toBeNull(); // the safety net, armed in the same call
    });
    await abortAllDurableObjects(); // the process dies: the held decision with it
    const fresh = env.WALLET_ACTOR.getByName(wallet);
    expect((await fresh.inbox()).map((r) => r.state)).not.toContain("done");
    await settle(wallet, { forceDue: true }); // a fresh instance: its alarm takes the row
    expect((await fresh.inbox()).map((r) => r.state)).toEqual(["done"]);
    expect(await signalBySignature(t.signature)).toMatchObject({ signal_type: "buy", filtered: 0, entry_usd: 50 });
  });
});
