import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import pumpAmm from "../../shared/fixtures/helius-webhook-enhanced-swap-pumpamm.captured.json";
import { MAX_INBOX_ATTEMPTS, type WalletActor } from "../durable-objects/wallet-actor";
import { HeliusTxSchema } from "../src/domain/helius-tx";
import { fetchDexTokens } from "../src/upstream/dexscreener";
import { fetchJupiterPrices, fetchQuote } from "../src/upstream/jupiter";
import { fetchRugcheckReport } from "../src/upstream/rugcheck";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { fake } from "./helpers/fake";
import { faultyD1, patchEnv, patchWriter } from "./helpers/faults";
import { addr, nativeBuy } from "./helpers/helius";
import { deliver, HELIUS_SECRET, insertWallet, signalBySignature, spyActor } from "./helpers/wallet-actor";

/** Issue 9, items 12–14: bad input is refused alone, with a clear envelope, and never wedges a delivery. */

async function setup() {
  const wallet = addr();
  const mint = addr();
  await insertWallet(wallet);
  await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  const spy = await spyActor(wallet);
  return { wallet, mint, spy };
}

/** `{ nested: { nested: … } }` `depth` levels deep, built without recursion. */
function deeplyNested(depth: number): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = { nested: v };
  return v;
}

beforeEach(async () => {
  await fake.reset();
});

describe("item 12 — an item nested thousands of levels deep", () => {
  it("is rejected alone: the good item for the same wallet in the same delivery is stored and acked 200", async () => {
    const { wallet, mint } = await setup();
    const good = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const deep = { ...nativeBuy(wallet, mint, { sol: 2, tokens: 2000 }), events: deeplyNested(4000) };
    const res = await deliver([deep, good]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1, duplicates: 0, ignored: 0 });
    expect(res.body.errors[0]).toMatchObject({ index: 0 });
    expect(res.body.errors[0].detail).toMatch(/deep/);
    expect(await signalBySignature(good.signature)).toBeTruthy();
    expect(await signalBySignature(deep.signature)).toBeNull();
    // A redelivery is a duplicate for the good item and still a rejection for the bad one: nothing wedges.
    const again = await deliver([deep, good]);
    expect(again).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 1, rejected: 1 } });
  });

  it("an item far larger than any real transaction is rejected alone, the others stored", async () => {
    const { wallet, mint } = await setup();
    const good = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const huge = { ...nativeBuy(wallet, mint, { sol: 2, tokens: 2000 }), padding: "x".repeat(300 * 1024) };
    const res = await deliver([good, huge]);
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, rejected: 1 } });
    expect(res.body.errors[0]).toMatchObject({ index: 1 });
    expect(res.body.errors[0].detail).toMatch(/bytes/);
    expect(await signalBySignature(huge.signature)).toBeNull();
  });

  it("a real-depth item (events.swap.innerSwaps[].tokenInputs[].rawTokenAmount) is still accepted", async () => {
    const { wallet, mint } = await setup();
    const ok = {
      ...nativeBuy(wallet, mint, { sol: 1, tokens: 1000 }),
      events: { swap: { innerSwaps: [{ tokenInputs: [{ rawTokenAmount: { tokenAmount: "1", decimals: 6 } }] }] } },
    };
    expect(await deliver([ok])).toMatchObject({ status: 200, body: { accepted: 1, rejected: 0 } });
  });
});

describe("item 14 — a missing or wrong Content-Type", () => {
  const send = (method: string, path: string, headers: Record<string, string>, body: string) =>
    exports.default.fetch(`https://walltrack.test${path}`, { method, headers, body });

  it("the webhook answers 415 in the error envelope, not 500, and stores nothing", async () => {
    const { wallet, mint } = await setup();
    const item = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    for (const ct of [null, "text/plain", "application/x-www-form-urlencoded"]) {
      const res = await send(
        "POST",
        "/webhooks/helius",
        { authorization: HELIUS_SECRET, ...(ct ? { "content-type": ct } : {}) },
        JSON.stringify([item]),
      );
      expect(res.status, String(ct)).toBe(415);
      const body = await res.json();
      expectErrorShape(body, "UnsupportedMediaType");
      expect((body as { detail: string }).detail).toMatch(/application\/json/);
    }
    expect(await signalBySignature(item.signature)).toBeNull();
    // `application/json; charset=utf-8` is JSON.
    const ok = await send(
      "POST",
      "/webhooks/helius",
      { authorization: HELIUS_SECRET, "content-type": "application/json; charset=utf-8" },
      JSON.stringify([item]),
    );
    expect(ok.status).toBe(200);
  });

  it("JSON API routes answer 415 in the error envelope for a body sent without or with a wrong Content-Type", async () => {
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const history = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM config_history").first<{ n: number }>())?.n;
    const before = await history();
    const cases: [string, string][] = [
      ["PUT", "/api/v1/config"],
      ["PATCH", "/api/v1/config"],
      ["POST", "/api/v1/wallets"],
      ["POST", "/api/v1/exit-strategies"],
      ["POST", "/api/v1/circuit-breaker/activate"],
    ];
    for (const [method, path] of cases) {
      for (const ct of [null, "text/plain"]) {
        const res = await send(method, path, { ...auth, ...(ct ? { "content-type": ct } : {}) }, '{"a":1}');
        expect(res.status, `${method} ${path} ${ct}`).toBe(415);
        expectErrorShape(await res.json(), "UnsupportedMediaType");
      }
    }
    // Nothing changed, and the same call with the right header is an ordinary validation answer.
    expect(await history()).toBe(before);
    expect((await api("PATCH", "/api/v1/config", { a: 1 })).status).toBe(400);
  });
});

describe("item 14 — upstream clients encode every path and query component", () => {
  const SLASHED = "Evil/../../v0/webhooks";
  const COMMA = "Two,Mints";

  it("DexScreener: a `/` or `,` in a mint stays inside its own path component", async () => {
    await fake.tokens(
      { mint: SLASHED, price_usd: 2, liquidity_usd: 1000 },
      { mint: COMMA, price_usd: 3, liquidity_usd: 1000 },
    );
    const got = await fetchDexTokens(env, [SLASHED, COMMA]);
    expect(got.get(SLASHED)?.price_usd).toBe(2);
    expect(got.get(COMMA)?.price_usd).toBe(3);
    const sent = (await fake.requests()).filter((r) => r.route === "dexscreener.tokens").map((r) => r.path);
    expect(sent).toEqual(["/tokens/v1/solana/Evil%2F..%2F..%2Fv0%2Fwebhooks,Two%2CMints"]);
    expect((await fake.calls())["helius.webhooks.get"]).toBeUndefined();
  });

  it("RugCheck: the mint is one encoded path component; `.` / `..` are refused before any call", async () => {
    await fake.tokens({ mint: SLASHED, price_usd: 1, liquidity_usd: 1000 });
    await fetchRugcheckReport(env, SLASHED);
    const sent = (await fake.requests()).filter((r) => r.route === "rugcheck.report").map((r) => r.path);
    expect(sent).toEqual(["/v1/tokens/Evil%2F..%2F..%2Fv0%2Fwebhooks/report"]);
    for (const dots of ["..", ".", "%2e%2E", ""]) {
      await expect(fetchRugcheckReport(env, dots)).rejects.toThrow(RangeError);
      await expect(fetchDexTokens(env, [dots])).rejects.toThrow(RangeError);
    }
    expect((await fake.requests()).length).toBe(1);
  });

  it("Jupiter: ids and quote parameters are encoded query components", async () => {
    const AMP = "A&ids=B#frag";
    await fake.tokens({ mint: AMP, price_usd: 4, liquidity_usd: 1000 });
    expect((await fetchJupiterPrices(env, [AMP])).get(AMP)).toBe(4);
    const quote = await fetchQuote(env, {
      inputMint: "So11111111111111111111111111111111111111112",
      outputMint: AMP,
      amount: "1000",
      slippageBps: 50,
    });
    expect(quote).toBeTruthy();
    const paths = (await fake.requests()).map((r) => r.path);
    expect(paths).toEqual(["/price/v3", "/swap/v1/quote"]);
  });
});

describe("item 14 — mints, addresses and raw amounts inside webhook items", () => {
  const real = pumpAmm[0] as any;
  const issuesOf = (raw: unknown) => {
    const res = HeliusTxSchema.safeParse(raw);
    return res.success ? [] : res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  const withTransfer = (patch: Record<string, unknown>) => ({
    ...real,
    tokenTransfers: [{ ...real.tokenTransfers[0], ...patch }, ...real.tokenTransfers.slice(1)],
  });
  const withChange = (patch: Record<string, unknown>) => ({
    ...real,
    accountData: [
      real.accountData[0],
      {
        ...real.accountData[1],
        tokenBalanceChanges: [{ ...real.accountData[1].tokenBalanceChanges[0], ...patch }],
      },
      ...real.accountData.slice(2),
    ],
  });

  it("the real delivery passes; a mint or an account that is not a Solana address is refused, naming the field", () => {
    expect(issuesOf(real)).toEqual([]);
    const cases: [unknown, string][] = [
      [withTransfer({ mint: "Evil/../../v0/webhooks" }), "tokenTransfers.0.mint"],
      [withTransfer({ mint: "44sVpouhWHXzADVsVUo863tvgmaw6LNQo25fYRs1pumpX" }), "tokenTransfers.0.mint"],
      [
        withTransfer({ toUserAccount: "DmyGpMBR5bVLVViypBXAPX5D5FW6GaVzMWEx7sF8i6r0" }),
        "tokenTransfers.0.toUserAccount",
      ],
      [withChange({ mint: "text" }), "accountData.1.tokenBalanceChanges.0.mint"],
      [withChange({ userAccount: "../x" }), "accountData.1.tokenBalanceChanges.0.userAccount"],
      [{ ...real, feePayer: "not an address" }, "feePayer"],
      [{ ...real, accountData: [{ ...real.accountData[0], account: "a/b" }] }, "accountData.0.account"],
    ];
    for (const [raw, field] of cases) {
      const issues = issuesOf(raw);
      expect(issues.join("; "), field).toContain(`${field}: not a Solana address`);
    }
    // Helius leaves the missing side of a mint or burn empty: that is no account, not a bad one.
    expect(issuesOf(withTransfer({ fromUserAccount: "", fromTokenAccount: null }))).toEqual([]);
  });

  it("a raw token amount longer than a u64 is refused; the u64 maximum itself, signed, is accepted", () => {
    const max = "18446744073709551615";
    expect(issuesOf(withChange({ rawTokenAmount: { decimals: 6, tokenAmount: max } }))).toEqual([]);
    expect(issuesOf(withChange({ rawTokenAmount: { decimals: 6, tokenAmount: `-${max}` } }))).toEqual([]);
    for (const tooBig of ["18446744073709551616", "-18446744073709551616", "1".repeat(400), "1e30", "12.5", "text"]) {
      const issues = issuesOf(withChange({ rawTokenAmount: { decimals: 6, tokenAmount: tooBig } }));
      expect(issues.join("; "), tooBig).toContain("accountData.1.tokenBalanceChanges.0.rawTokenAmount.tokenAmount");
    }
    expect(issuesOf({ ...real, nativeTransfers: [{ ...real.nativeTransfers[0], amount: 2 ** 60 }] }).join()).toContain(
      "nativeTransfers.0.amount",
    );
  });

  it("through the webhook, such an item is rejected alone and the good item of the same delivery is stored", async () => {
    const { wallet, mint } = await setup();
    const good = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const slashed = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 }) as any;
    slashed.tokenTransfers[0].mint = "Evil/../../v0/webhooks";
    const huge = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 }) as any;
    huge.accountData[1].tokenBalanceChanges[0].rawTokenAmount.tokenAmount = "9".repeat(21);
    const res = await deliver([slashed, good, huge]);
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, rejected: 2 } });
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([0, 2]);
    expect(res.body.errors[0].detail).toMatch(/tokenTransfers\.0\.mint: not a Solana address/);
    expect(res.body.errors[1].detail).toMatch(/larger than a u64|integer text/);
    expect(await signalBySignature(good.signature)).toBeTruthy();
    expect(await signalBySignature(slashed.signature)).toBeNull();
    expect(await signalBySignature(huge.signature)).toBeNull();
  });
});

const inboxRowOf = async (stub: DurableObjectStub<WalletActor>, signature: string) =>
  (await stub.inbox()).find((r) => r.signature === signature);

describe("item 13 — an acked item whose processing always throws", () => {
  /** Makes every waiting row due and runs the alarm once, as the runtime would after the backoff. */
  async function runAlarmOnce(wallet: string) {
    const stub = env.WALLET_ACTOR.getByName(wallet);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE inbox SET next_attempt_ms = 0 WHERE state IN ('received', 'recorded', 'parking')");
    });
    return runDurableObjectAlarm(stub);
  }

  it("is parked dead after MAX_INBOX_ATTEMPTS, listed by the API, recorded filtered invalid_transaction, never retried again", async () => {
    const { wallet, mint } = await setup();
    // A timestamp no Date can hold: its signal's block_time throws on every attempt.
    const bad = nativeBuy(wallet, mint, { sol: 1, tokens: 1000, timestamp: 9007199254740991 });
    const good = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const res = await deliver([bad, good]);
    expect(res).toMatchObject({ status: 200, body: { accepted: 2 } });
    const stub = env.WALLET_ACTOR.getByName(wallet);

    // Driven explicitly; the runtime may also fire the alarm on its own, so count observations, not runs.
    const badRow = async () => (await stub.inbox()).find((r) => r.signature === bad.signature);
    let last = 0;
    for (let run = 0; run < MAX_INBOX_ATTEMPTS + 5 && (await badRow())?.state !== "dead"; run++) {
      await runAlarmOnce(wallet);
      if (run === 3) await evictDurableObject(stub); // the count is durable, not in memory
      const row = await badRow();
      expect(row?.attempts).toBeGreaterThanOrEqual(last);
      last = row?.attempts ?? 0;
      // Retried (not parked) while under the bound, with nothing recorded for it yet.
      if (last < MAX_INBOX_ATTEMPTS) expect(row?.state).toBe("received");
      else expect(["parking", "dead"]).toContain(row?.state);
    }
    const dead = (await stub.inbox(100, "dead")).map((r) => r.signature);
    expect(dead).toEqual([bad.signature]);
    const signal = await signalBySignature(bad.signature);
    expect(signal).toMatchObject({ filtered: 1, filter_reason: "invalid_transaction", signal_type: "other" });
    expect(JSON.parse(signal.raw_payload)).toEqual(bad); // never lost
    // The good item of the same delivery went its own way.
    expect(await signalBySignature(good.signature)).toBeTruthy();

    // Never retried again: more alarms leave it alone, and nothing keeps the alarm armed for it.
    for (let i = 0; i < 3; i++) await runAlarmOnce(wallet);
    const after = (await stub.inbox()).find((r) => r.signature === bad.signature);
    expect(after).toMatchObject({ state: "dead", attempts: MAX_INBOX_ATTEMPTS });
    expect(after?.last_error).toMatch(/Invalid time value/);
    await runInDurableObject(stub, async (_i, state) => {
      expect(await state.storage.getAlarm()).toBeNull();
    });

    // Visible through the API: the wallet's dead inbox rows, and the signals filtered invalid_transaction.
    const list = await api("GET", `/api/v1/wallets/${wallet}/inbox?state=dead`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      {
        signature: bad.signature,
        state: "dead",
        signal_id: null, // the signal is keyed by its signature: written behind, its D1 id is not kept here
        signal_type: null,
        attempts: MAX_INBOX_ATTEMPTS,
        next_attempt_at: null,
        last_error: expect.stringMatching(/Invalid time value/),
      },
    ]);
    const filtered = await api("GET", `/api/v1/signals?filter_reason=invalid_transaction&wallet=${wallet}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.items.map((s: { transaction_signature: string }) => s.transaction_signature)).toEqual([
      bad.signature,
    ]);
  });

  it("a row whose signal write D1 refuses is decided anyway; its one signal insert is retried until written", async () => {
    const { wallet, mint } = await setup(); // the actor instance exists: the fault goes in before the delivery
    const stub = env.WALLET_ACTOR.getByName(wallet);
    // The signal write is one batch with the wallet's last_signal_at update, behind the decision (issue 16).
    // (Matched on the SET: the hot-state read of the wallet row also names the column.)
    const fault = faultyD1(env.DB, { match: /set "last_signal_at"/, times: 3 });
    // The batch goes through the shared D1 writer (src/pipeline/shared-d1-write.ts): its D1 is the one failing.
    const restore = await patchWriter({ DB: fault.binding });
    const item = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    expect(await deliver([item])).toMatchObject({ status: 200, body: { accepted: 1 } });
    // Decided at once, never parked: the inbox row is done, the signal owed by the actor's outbox.
    expect(await inboxRowOf(stub, item.signature)).toMatchObject({ state: "done", attempts: 0 });
    expect(await signalBySignature(item.signature)).toBeNull();
    for (let run = 0; run < 10 && !(await signalBySignature(item.signature)); run++) {
      await runInDurableObject(stub, (_i, state) => {
        state.storage.sql.exec("UPDATE signal_outbox SET next_attempt_ms = 0 WHERE state = 'queued'");
      });
      await runDurableObjectAlarm(stub);
    }
    expect(fault.thrown()).toBe(3);
    await restore();
    const signal = await signalBySignature(item.signature);
    expect(signal).toMatchObject({ filtered: 0, signal_type: "buy" });
    expect(JSON.parse(signal.raw_payload)).toEqual(item);
  });

  it("the parked signal's D1 write is owed: when it fails the row stays parking and the alarm writes it later", async () => {
    const { wallet, mint } = await setup();
    const bad = nativeBuy(wallet, mint, { sol: 1, tokens: 1000, timestamp: 9007199254740991 });
    await deliver([bad]);
    const stub = env.WALLET_ACTOR.getByName(wallet);
    const badRow = async () => (await stub.inbox()).find((r) => r.signature === bad.signature);
    // The only signals insert this row can make is the parked one (its classification throws before).
    const fault = faultyD1(env.DB, { match: /insert into "signals"/i });
    await patchEnv(stub, { DB: fault.binding });
    for (let run = 0; run < MAX_INBOX_ATTEMPTS + 5 && fault.thrown() === 0; run++) await runAlarmOnce(wallet);
    expect(fault.thrown()).toBe(1);
    expect(await badRow()).toMatchObject({ state: "parking", attempts: MAX_INBOX_ATTEMPTS });
    expect(await signalBySignature(bad.signature)).toBeNull();
    await runAlarmOnce(wallet);
    expect(await badRow()).toMatchObject({ state: "dead", attempts: MAX_INBOX_ATTEMPTS });
    expect(await signalBySignature(bad.signature)).toMatchObject({ filtered: 1, filter_reason: "invalid_transaction" });
  });

  it("a dead row is requeued on the operator's request with a fresh count; only a dead row", async () => {
    const { wallet, mint } = await setup();
    const bad = nativeBuy(wallet, mint, { sol: 1, tokens: 1000, timestamp: 9007199254740991 });
    const good = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([bad, good]);
    const stub = env.WALLET_ACTOR.getByName(wallet);
    for (let i = 0; i < MAX_INBOX_ATTEMPTS + 5; i++) {
      const row = (await stub.inbox()).find((r) => r.signature === bad.signature);
      if (row?.state === "dead") break;
      await runAlarmOnce(wallet);
    }
    const path = `/api/v1/wallets/${wallet}/inbox/${bad.signature}/retry`;
    const res = await api("POST", path);
    expect(res).toMatchObject({ status: 200, body: { signature: bad.signature, state: "received" } });
    const row = (await env.WALLET_ACTOR.getByName(wallet).inbox()).find((r) => r.signature === bad.signature);
    expect(row).toMatchObject({ state: "received", attempts: 0 });
    // Retried from the start (classification included), and counted afresh.
    await runAlarmOnce(wallet);
    const retried = (await stub.inbox()).find((r) => r.signature === bad.signature);
    expect(retried?.state).toBe("received");
    expect(retried?.attempts).toBeGreaterThanOrEqual(1);
    expect(retried?.attempts).toBeLessThan(MAX_INBOX_ATTEMPTS);
    const again = await api("POST", path);
    expect(again.status).toBe(409);
    expectErrorShape(again.body, "Conflict");
    const other = await api("POST", `/api/v1/wallets/${wallet}/inbox/${good.signature.slice(0, 80)}/retry`);
    expect(other.status).toBe(404);
    expectErrorShape(other.body, "NotFound");
    const bad400 = await api("POST", `/api/v1/wallets/${wallet}/inbox/not-a-signature/retry`);
    expect(bad400.status).toBe(400);
    expectErrorShape(bad400.body, "ValidationError");
  });
});
