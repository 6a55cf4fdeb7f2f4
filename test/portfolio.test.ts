import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { testAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";
import { fake } from "./helpers/fake";
import { fakeSignature } from "./helpers/helius-payloads";

const TOKEN_MINT = testAddress(200, 1);
const T22_MINT = testAddress(200, 2);
const UNKNOWN_MINT = testAddress(200, 3);
const EMPTY_MINT = testAddress(200, 4);
const sig = (n: number) => fakeSignature(`portfolio-${n}`);

let seq = 0;
/** A fresh wallet address per test (D1 is shared by the whole file). */
const nextWallet = () => testAddress(1, ++seq);

const rpcCalls = async () =>
  Object.fromEntries(Object.entries(await fake.calls()).filter(([k]) => k.startsWith("rpc.")));

async function createWallet(address: string, extra: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/wallets/", { address, label: `w ${address.slice(0, 4)}`, ...extra });
  expect(res.status).toBe(201);
  return res.body;
}

const tableCount = async (table: string) =>
  ((await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0) as number;

/** A wallet as Solana sees it: 0.3 SOL, one Token holding, one Token-2022 holding, an empty account, 2 txs. */
async function scriptWallet(address: string, lamports = 300_000_000) {
  await fake.tokens(
    { mint: TOKEN_MINT, name: "Classic Coin", symbol: "CLS", decimals: 6 },
    { mint: T22_MINT, name: "Twenty Two", symbol: "T22", decimals: 9, token_program: "token2022" },
  );
  await fake.wallet({
    address,
    lamports,
    token_accounts: [
      { mint: TOKEN_MINT, amount: "420000000000000", decimals: 6 },
      { mint: T22_MINT, amount: "1500000000", decimals: 9, program: "token2022" },
      { mint: UNKNOWN_MINT, amount: "7", decimals: 0 },
      { mint: EMPTY_MINT, amount: "0", decimals: 6 },
    ],
    signatures: [
      { signature: sig(1), slot: 100, blockTime: 1_763_700_000 },
      { signature: sig(2), slot: 101, blockTime: 1_763_700_100, err: { InstructionError: [0, "Custom"] } },
    ],
  });
}

beforeEach(async () => {
  await fake.reset();
});

describe("core routes", () => {
  it("create a wallet (201, cache-only, stale until refreshed) and refuse a duplicate (409)", async () => {
    const address = nextWallet();
    const body = await createWallet(address, { notes: "launch wallet #1" });
    expect(body).toMatchObject({
      source: "cache",
      is_stale: true,
      cached_at: null,
      cache_age_seconds: null,
      data: { address, status: "UNFUNDED", launch_count: 0, first_funded_at: null, token_holdings: [] },
    });
    const dup = await api("POST", "/api/wallets", { address });
    expect(dup.status).toBe(409);
    expectErrorShape(dup.body, "Conflict");
    expect(await rpcCalls()).toEqual({});
  });

  it("reject bad input on create with 400 naming the field, and store nothing", async () => {
    const before = await tableCount("wallet_info");
    for (const [body, field] of [
      [{ address: "not-an-address" }, "address"],
      [{ address: "0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl" }, "address"],
      [{}, "address"],
      [{ address: nextWallet(), label: "" }, "label"],
      [{ address: nextWallet(), wallet_type: "whale" }, "wallet_type"],
      [{ address: nextWallet(), surprise: 1 }, ""],
    ] as const) {
      const res = await api("POST", "/api/wallets/", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(res.body, "ValidationError");
      expect(res.body.detail).toContain(field);
    }
    const raw = await api("POST", "/api/wallets/", "{ not json");
    expect(raw.status).toBe(400);
    expect(await tableCount("wallet_info")).toBe(before);
  });

  it("serve the list with and without the trailing slash, and one wallet; 404 unknown, 400 bad address", async () => {
    const address = nextWallet();
    await createWallet(address);
    for (const path of ["/api/wallets/", "/api/wallets"]) {
      const res = await api("GET", path);
      expect(res.status).toBe(200);
      expect(res.body.source).toBe("cache");
      expect(res.body.data.map((w: { address: string }) => w.address)).toContain(address);
      expect(res.body.is_stale).toBe(true);
    }
    const one = await api("GET", `/api/wallets/${address}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({ address, token_holdings: [], recent_transactions: [] });
    const unknown = await api("GET", `/api/wallets/${nextWallet()}`);
    expect(unknown.status).toBe(404);
    expectErrorShape(unknown.body, "NotFound");
    const bad = await api("GET", "/api/wallets/xyz");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    expect(bad.body.detail).toContain("wallet_address");
  });

  it("update metadata (200), refuse an empty or bad update (400) and an unknown wallet (404)", async () => {
    const address = nextWallet();
    await createWallet(address);
    const ok = await api("PUT", `/api/wallets/${address}`, { label: "renamed", notes: null, wallet_type: "trading" });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ label: "renamed", notes: null, wallet_type: "trading", status: "UNFUNDED" });
    for (const body of [{}, { status: "RICH" }, { label: 5 }, { launch_count: 9 }]) {
      const res = await api("PUT", `/api/wallets/${address}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(res.body, "ValidationError");
    }
    const after = await api("GET", `/api/wallets/${address}`);
    expect(after.body.data).toMatchObject({ label: "renamed", launch_count: 0, status: "UNFUNDED" });
    const unknown = await api("PUT", `/api/wallets/${nextWallet()}`, { label: "x" });
    expect(unknown.status).toBe(404);
  });

  it("delete a wallet with its cached holdings (204), then 404", async () => {
    const address = nextWallet();
    await createWallet(address);
    await scriptWallet(address);
    expect((await api("POST", `/api/wallets/${address}/refresh`)).status).toBe(200);
    const del = await api("DELETE", `/api/wallets/${address}`);
    expect(del.status).toBe(204);
    expect((await api("GET", `/api/wallets/${address}`)).status).toBe(404);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM token_holdings WHERE wallet_address = ?")
      .bind(address)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect((await api("DELETE", `/api/wallets/${address}`)).status).toBe(404);
  });

  it("require the operator token", async () => {
    const res = await api("GET", "/api/wallets/", undefined, { authorization: "Bearer wrong" });
    expect(res.status).toBe(401);
  });
});

describe("cache-first reads", () => {
  it("make zero RPC calls on every read route", async () => {
    const address = nextWallet();
    await createWallet(address);
    await scriptWallet(address);
    await api("POST", `/api/wallets/${address}/refresh`);
    await fake.reset();
    for (const path of [
      "/api/wallets/",
      "/api/wallets",
      `/api/wallets/${address}`,
      "/api/wallets/launches/",
      `/api/wallets/launches/${address}`,
      "/api/wallets/funding/scheduled",
    ]) {
      expect((await api("GET", path)).status, path).toBe(200);
    }
    expect(await fake.calls()).toEqual({});
  });
});

describe("refresh", () => {
  it("update balance, holdings of both token programs, transactions and status (0.3 SOL → FUNDED)", async () => {
    const address = nextWallet();
    await createWallet(address);
    await scriptWallet(address);
    await env.DB.prepare("DELETE FROM tokens").run(); // no cached metadata yet (D1 is shared by this file)
    const res = await api("POST", `/api/wallets/${address}/refresh`);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe("solana");
    expect(res.body.is_stale).toBe(false);
    expect(res.body.refresh).toMatchObject({
      balance: { status: "ok", message: null },
      holdings: { status: "ok", message: null },
      funding: { status: "ok", message: null },
    });
    const w = res.body.data;
    expect(w).toMatchObject({
      status: "FUNDED",
      last_balance_sol: 0.3,
      last_balance_lamports: "300000000",
      launch_count: 0,
      last_refresh_errors: null,
    });
    expect(w.first_funded_at).toBe(w.balance_refreshed_at);
    const byMint = Object.fromEntries(w.token_holdings.map((h: { mint_address: string }) => [h.mint_address, h]));
    expect(Object.keys(byMint).sort()).toEqual([TOKEN_MINT, T22_MINT, UNKNOWN_MINT].sort()); // empty account dropped
    expect(byMint[TOKEN_MINT]).toMatchObject({
      name: "Classic Coin",
      ticker: "CLS",
      balance: "420000000000000",
      ui_balance: "420000000",
      decimals: 6,
      token_program: "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    });
    expect(byMint[T22_MINT]).toMatchObject({
      name: "Twenty Two",
      ticker: "T22",
      balance: "1500000000",
      ui_balance: "1.5",
      token_program: "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
    });
    // Unknown to every metadata source: still shown with its mint and balance.
    expect(byMint[UNKNOWN_MINT]).toMatchObject({ name: null, ticker: null, balance: "7", ui_balance: "7" });
    expect(
      w.recent_transactions.map((t: { signature: string; succeeded: boolean }) => [t.signature, t.succeeded]),
    ).toEqual([
      [sig(2), false],
      [sig(1), true],
    ]);
    expect(w.recent_transactions[1].block_time).toBe(new Date(1_763_700_000_000).toISOString());
    expect(await rpcCalls()).toEqual({
      "rpc.getBalance": 1,
      "rpc.getTokenAccountsByOwner": 2,
      "rpc.getSignaturesForAddress": 1,
      "rpc.getAssetBatch": 1, // the three new mints in ONE call
    });
    const assetIds = (await fake.requests())
      .filter((r) => r.route === "rpc.getAssetBatch")
      .map((r) => (r.body as { params: { ids: string[] } }).params.ids.sort());
    expect(assetIds).toEqual([[TOKEN_MINT, T22_MINT, UNKNOWN_MINT].sort()]);
    // Token-2022 program was asked separately from Tokenkeg.
    const programs = (await fake.requests())
      .filter((r) => r.route === "rpc.getTokenAccountsByOwner")
      .map((r) => (r.body as { params: [string, { programId: string }] }).params[1].programId)
      .sort();
    expect(programs).toEqual([
      "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
      "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
    ]);

    // A second refresh: known names are cached, the unknown mint is not asked again within the TTL.
    await fake.reset();
    await scriptWallet(address, 50_000_000);
    const again = await api("POST", `/api/wallets/${address}/refresh`);
    expect(again.status).toBe(200);
    expect((await rpcCalls())["rpc.getAssetBatch"]).toBeUndefined();
    expect(again.body.data).toMatchObject({
      status: "FUNDED",
      last_balance_sol: 0.05,
      first_funded_at: w.first_funded_at,
    });
  });

  it("apply the 0.25 SOL rule at the boundary and set first_funded_at only the first time", async () => {
    const address = nextWallet();
    await createWallet(address);
    await fake.wallet({ address, lamports: 249_999_999 });
    let res = await api("POST", `/api/wallets/${address}/refresh`);
    expect(res.body.data).toMatchObject({ status: "UNFUNDED", first_funded_at: null, last_balance_sol: 0.249999999 });
    await fake.wallet({ address, lamports: 250_000_000 });
    res = await api("POST", `/api/wallets/${address}/refresh`);
    expect(res.body.data.status).toBe("FUNDED");
    const first = res.body.data.first_funded_at;
    expect(first).toBeTypeOf("string");
    await new Promise((r) => setTimeout(r, 5));
    await fake.wallet({ address, lamports: 900_000_000 });
    res = await api("POST", `/api/wallets/${address}/refresh`);
    expect(res.body.data).toMatchObject({ status: "FUNDED", first_funded_at: first, last_balance_sol: 0.9 });
  });

  it("keep ARCHIVED and LAUNCHED through a refresh", async () => {
    const archived = nextWallet();
    await createWallet(archived);
    await api("PUT", `/api/wallets/${archived}`, { status: "ARCHIVED" });
    await fake.wallet({ address: archived, lamports: 1_000_000_000 });
    const a = await api("POST", `/api/wallets/${archived}/refresh`);
    expect(a.body.data).toMatchObject({ status: "ARCHIVED", last_balance_sol: 1 });
    expect(a.body.data.first_funded_at).toBeTypeOf("string");

    const launched = nextWallet();
    await createWallet(launched);
    const rec = await api("POST", "/api/wallets/launches/record", {
      wallet_address: launched,
      mint_address: testAddress(201, 1),
    });
    expect(rec.status).toBe(201);
    await fake.wallet({ address: launched, lamports: 1_000_000_000 });
    const l = await api("POST", `/api/wallets/${launched}/refresh`);
    expect(l.body.data).toMatchObject({ status: "LAUNCHED", launch_count: 1 });
  });

  for (const [part, route, mode] of [
    ["balance", "rpc.getBalance", { status: 500 }],
    ["holdings", "rpc.getTokenAccountsByOwner", { status: 429, times: 1 }], // only ONE of the two program calls fails
    ["funding", "rpc.getSignaturesForAddress", { mode: "timeout" as const, delay_ms: 1000 }],
  ] as const) {
    it(`keep the cached ${part} exactly as before when only that part fails (207), update the others`, async () => {
      const address = nextWallet();
      await createWallet(address);
      await scriptWallet(address);
      expect((await api("POST", `/api/wallets/${address}/refresh`)).status).toBe(200);
      const before = (await api("GET", `/api/wallets/${address}`)).body.data;

      // The chain moves on: new balance, one holding sold and a new one bought, a new transaction.
      const NEW_MINT = testAddress(202, seq);
      await fake.wallet({
        address,
        lamports: 2_000_000_000,
        token_accounts: [
          { mint: TOKEN_MINT, amount: "1", decimals: 6 },
          { mint: NEW_MINT, amount: "99", decimals: 2, program: "token2022" },
        ],
        signatures: [{ signature: sig(3), slot: 200, blockTime: 1_763_800_000 }],
      });
      await fake.fail(route, mode);
      await new Promise((r) => setTimeout(r, 5));
      const res = await api("POST", `/api/wallets/${address}/refresh`);
      expect(res.status).toBe(207);
      expect(res.body.refresh[part].status).toBe("failed");
      expect(res.body.refresh[part].message).toMatch(/Could not refresh .*Cached data kept\./);
      expect(res.body.refresh[part].refreshed_at).toBe(before[`${part}_refreshed_at`]);
      const after = res.body.data;
      expect(after.last_refresh_errors).toEqual({ [part]: res.body.refresh[part].message });

      const balanceOf = (w: typeof before) => ({
        a: w.last_balance_sol,
        b: w.last_balance_lamports,
        c: w.balance_refreshed_at,
        d: w.status,
        e: w.first_funded_at,
      });
      if (part === "balance") expect(balanceOf(after)).toEqual(balanceOf(before));
      else expect(after).toMatchObject({ last_balance_sol: 2, last_balance_lamports: "2000000000" });

      if (part === "holdings") {
        expect(after.token_holdings).toEqual(before.token_holdings);
        expect(after.holdings_refreshed_at).toBe(before.holdings_refreshed_at);
      } else {
        expect(
          after.token_holdings
            .map((h: { mint_address: string; balance: string }) => [h.mint_address, h.balance])
            .sort(),
        ).toEqual(
          [
            [TOKEN_MINT, "1"],
            [NEW_MINT, "99"],
          ].sort(),
        );
      }

      if (part === "funding") {
        expect(after.recent_transactions).toEqual(before.recent_transactions);
        expect(after.funding_refreshed_at).toBe(before.funding_refreshed_at);
      } else {
        expect(after.recent_transactions[0].signature).toBe(sig(3));
      }
      // The stalest part defines the wallet's cache age.
      expect(after.cached_at).toBe(before[`${part}_refreshed_at`]);
      for (const other of ["balance", "holdings", "funding"].filter((p) => p !== part))
        expect(res.body.refresh[other].status).toBe("ok");

      // A later successful refresh clears the reported error.
      await fake.clearFailure(route);
      const ok = await api("POST", `/api/wallets/${address}/refresh`);
      expect(ok.status).toBe(200);
      expect(ok.body.data.last_refresh_errors).toBeNull();
    });
  }

  it("answer 503 with the error envelope and the untouched cached data when every part fails", async () => {
    const address = nextWallet();
    await createWallet(address);
    await scriptWallet(address);
    await api("POST", `/api/wallets/${address}/refresh`);
    const before = (await api("GET", `/api/wallets/${address}`)).body.data;
    await fake.fail("*", { status: 503 });
    const res = await api("POST", `/api/wallets/${address}/refresh`);
    expect(res.status).toBe(503);
    expectErrorShape(res.body, "UpstreamUnavailable");
    expect(res.body.source).toBe("cache");
    expect(res.body.data.token_holdings).toEqual(before.token_holdings);
    expect(res.body.data.last_balance_lamports).toBe(before.last_balance_lamports);
    expect(res.body.data.recent_transactions).toEqual(before.recent_transactions);
    for (const p of ["balance", "holdings", "funding"]) expect(res.body.refresh[p].status).toBe("failed");
  });

  it("treat a malformed RPC answer as a failed part", async () => {
    const address = nextWallet();
    await createWallet(address);
    await fake.wallet({ address, lamports: 300_000_000 });
    await fake.fail("rpc.getBalance", { mode: "malformed" });
    const res = await api("POST", `/api/wallets/${address}/refresh`);
    expect(res.status).toBe(207);
    expect(res.body.refresh.balance.message).toMatch(/unreadable|refused/);
    expect(res.body.data).toMatchObject({ status: "UNFUNDED", last_balance_sol: null });
  });

  it("404 for an unknown wallet and 400 for a bad address, without any RPC call", async () => {
    expect((await api("POST", `/api/wallets/${nextWallet()}/refresh`)).status).toBe(404);
    expect((await api("POST", "/api/wallets/nope/refresh")).status).toBe(400);
    expect(await rpcCalls()).toEqual({});
  });
});

describe("funding schedule", () => {
  const future = () => new Date(Date.now() + 3_600_000).toISOString();

  it("schedule (201), list, cancel (200), refuse a second cancel (409) and an unknown id (404)", async () => {
    const address = nextWallet();
    await createWallet(address);
    const res = await api("POST", "/api/wallets/funding/schedule", {
      wallet_address: address,
      amount_sol: 0.5,
      scheduled_for: future(),
      source_wallet: testAddress(3, 1),
      notes: "top-up",
    });
    expect(res.status).toBe(201);
    // The same CachedWalletResponse wrapper as every other answer.
    expect(res.body).toMatchObject({ source: "cache", is_stale: false, cache_age_seconds: 0 });
    expect(res.body.data).toMatchObject({
      wallet_address: address,
      amount_sol: 0.5,
      status: "scheduled",
      cancelled_at: null,
    });
    expect(res.body.data).not.toHaveProperty("signed_transaction");
    res.body.id = res.body.data.id;
    const list = await api("GET", `/api/wallets/funding/scheduled?wallet_address=${address}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ source: "cache", is_stale: false });
    expect(list.body.data.map((f: { id: string }) => f.id)).toEqual([res.body.id]);

    const cancel = await api("DELETE", `/api/wallets/funding/${res.body.id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.data).toMatchObject({ id: res.body.id, status: "cancelled" });
    expect(cancel.body.data.cancelled_at).toBeTypeOf("string");
    const again = await api("DELETE", `/api/wallets/funding/${res.body.id}`);
    expect(again.status).toBe(409);
    expectErrorShape(again.body, "Conflict");
    const unknown = await api("DELETE", "/api/wallets/funding/no-such-id");
    expect(unknown.status).toBe(404);
    expectErrorShape(unknown.body, "NotFound");
    const filtered = await api("GET", `/api/wallets/funding/scheduled?status=scheduled&wallet_address=${address}`);
    expect(filtered.body.data).toEqual([]);
  });

  it("refuse an executed funding's cancellation (409)", async () => {
    const address = nextWallet();
    await createWallet(address);
    const res = await api("POST", "/api/wallets/funding/schedule", {
      wallet_address: address,
      amount_sol: 1,
      scheduled_for: future(),
    });
    await env.DB.prepare("UPDATE scheduled_funding SET status = 'executed' WHERE id = ?").bind(res.body.data.id).run();
    const cancel = await api("DELETE", `/api/wallets/funding/${res.body.data.id}`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.detail).toContain("executed");
  });

  it("reject bad schedules with 400/404/422 and store nothing", async () => {
    const address = nextWallet();
    await createWallet(address);
    const archived = nextWallet();
    await createWallet(archived);
    await api("PUT", `/api/wallets/${archived}`, { status: "ARCHIVED" });
    const before = await tableCount("scheduled_funding");
    const cases: [Record<string, unknown>, number, string][] = [
      [{ wallet_address: address, amount_sol: 0, scheduled_for: future() }, 400, "amount_sol"],
      [{ wallet_address: address, amount_sol: -1, scheduled_for: future() }, 400, "amount_sol"],
      [{ wallet_address: address, amount_sol: "1", scheduled_for: future() }, 400, "amount_sol"],
      [{ wallet_address: address, amount_sol: 1, scheduled_for: "tomorrow" }, 400, "scheduled_for"],
      [{ wallet_address: "bad", amount_sol: 1, scheduled_for: future() }, 400, "wallet_address"],
      [{ wallet_address: address, amount_sol: 1, scheduled_for: future(), source_wallet: "x" }, 400, "source_wallet"],
      [{ wallet_address: address, amount_sol: 1, scheduled_for: "2020-01-01T00:00:00Z" }, 422, "future"],
      [{ wallet_address: nextWallet(), amount_sol: 1, scheduled_for: future() }, 404, "not in the portfolio"],
      [{ wallet_address: archived, amount_sol: 1, scheduled_for: future() }, 422, "archived"],
      [{ wallet_address: address, amount_sol: 1, scheduled_for: future(), source_wallet: address }, 422, "same"],
    ];
    for (const [body, status, detail] of cases) {
      const res = await api("POST", "/api/wallets/funding/schedule", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expectErrorShape(res.body);
      expect(res.body.detail).toContain(detail);
    }
    expect(await tableCount("scheduled_funding")).toBe(before);
    expect((await api("GET", "/api/wallets/funding/scheduled?status=pending")).status).toBe(400);
  });
});

describe("launch records", () => {
  it("record a launch (201): wallet LAUNCHED, launch_count kept; list all and per wallet", async () => {
    const address = nextWallet();
    await createWallet(address);
    const mint = testAddress(201, 10);
    const mint2 = testAddress(201, 11);
    const res = await api("POST", "/api/wallets/launches/record", {
      wallet_address: address,
      mint_address: mint,
      name: "Moon",
      ticker: "MOON",
      platform: "pump.fun",
      initial_buy_sol: 0.1,
      launched_at: "2026-11-20T10:00:00Z",
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      wallet_address: address,
      mint_address: mint,
      launched_at: "2026-11-20T10:00:00.000Z",
      confirmation_status: null,
    });
    // No tx_signature: nothing of it comes from the chain, so the record is D1's own, fresh data.
    expect(res.body).toMatchObject({ source: "cache", is_stale: false, cache_age_seconds: 0 });
    await api("POST", "/api/wallets/launches/record", { wallet_address: address, mint_address: mint2 });
    const wallet = (await api("GET", `/api/wallets/${address}`)).body.data;
    expect(wallet).toMatchObject({ status: "LAUNCHED", launch_count: 2 });
    for (const path of ["/api/wallets/launches/", "/api/wallets/launches"]) {
      const all = await api("GET", path);
      expect(all.status, path).toBe(200);
      expect(all.body.data.map((l: { mint_address: string }) => l.mint_address)).toEqual(
        expect.arrayContaining([mint, mint2]),
      );
    }
    const mine = await api("GET", `/api/wallets/launches/${address}`);
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((l: { mint_address: string }) => l.mint_address)).toEqual([mint2, mint]); // newest first
    expect((await api("GET", `/api/wallets/launches/${nextWallet()}`)).status).toBe(404);
    expect((await api("GET", "/api/wallets/launches/bad-address")).status).toBe(400);
  });

  it("reject bad launches with 400/404/409/422 and change nothing", async () => {
    const address = nextWallet();
    await createWallet(address);
    const mint = testAddress(201, 20);
    expect(
      (await api("POST", "/api/wallets/launches/record", { wallet_address: address, mint_address: mint })).status,
    ).toBe(201);
    const before = await tableCount("launches");
    const cases: [Record<string, unknown>, number, string][] = [
      [{ wallet_address: address, mint_address: "not-a-mint" }, 400, "mint_address"],
      [{ wallet_address: address }, 400, "mint_address"],
      [{ wallet_address: address, mint_address: testAddress(201, 21), initial_buy_sol: -1 }, 400, "initial_buy_sol"],
      [{ wallet_address: address, mint_address: testAddress(201, 21), tx_signature: "abc" }, 400, "tx_signature"],
      [{ wallet_address: nextWallet(), mint_address: testAddress(201, 21) }, 404, "not in the portfolio"],
      [{ wallet_address: address, mint_address: mint }, 409, "already recorded"],
      [
        {
          wallet_address: address,
          mint_address: testAddress(201, 22),
          launched_at: new Date(Date.now() + 86_400_000).toISOString(),
        },
        422,
        "future",
      ],
    ];
    for (const [body, status, detail] of cases) {
      const res = await api("POST", "/api/wallets/launches/record", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expectErrorShape(res.body);
      expect(res.body.detail).toContain(detail);
    }
    expect(await tableCount("launches")).toBe(before);
    expect((await api("GET", `/api/wallets/${address}`)).body.data.launch_count).toBe(1);
  });
});

describe("launch records under concurrency", () => {
  it("two simultaneous records of one mint: one 201, one 409, launch_count 1", async () => {
    const address = nextWallet();
    await createWallet(address);
    const mint = testAddress(201, 30);
    const both = await Promise.all(
      [0, 1].map(() => api("POST", "/api/wallets/launches/record", { wallet_address: address, mint_address: mint })),
    );
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await api("GET", `/api/wallets/${address}`)).body.data.launch_count).toBe(1);
  });
});

describe("OpenAPI", () => {
  it("document the 13 operations (plus refresh-all's progress) and the 207/503 refresh answers", async () => {
    const res = await api("GET", "/openapi.json");
    const paths = res.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const ops = Object.entries(paths)
      .filter(([p]) => p.startsWith("/api/wallets"))
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(ops).toEqual(
      [
        "GET /api/wallets/",
        "GET /api/wallets/{wallet_address}",
        "POST /api/wallets/",
        "PUT /api/wallets/{wallet_address}",
        "DELETE /api/wallets/{wallet_address}",
        "POST /api/wallets/{wallet_address}/refresh",
        "POST /api/wallets/refresh-all",
        "GET /api/wallets/refresh-all/{run_id}", // progress of a chunked refresh-all (issue 15)
        "GET /api/wallets/funding/scheduled",
        "POST /api/wallets/funding/schedule",
        "DELETE /api/wallets/funding/{schedule_id}",
        "GET /api/wallets/launches/",
        "GET /api/wallets/launches/{wallet_address}",
        "POST /api/wallets/launches/record",
      ].sort(),
    );
    for (const path of ["/api/wallets/{wallet_address}/refresh", "/api/wallets/refresh-all"]) {
      const responses = paths[path]?.post?.responses as Record<string, { description: string }>;
      expect(Object.keys(responses)).toEqual(expect.arrayContaining(["200", "207", "503"]));
      expect(responses["207"]?.description).toContain("Multi-Status");
      expect(responses["503"]?.description).toContain("cached data");
    }
    expect(res.body.components.schemas).toHaveProperty("CachedWalletResponse");
    expect(res.body.components.schemas).toHaveProperty("WalletInfo");
    expect(res.body.components.schemas).toHaveProperty("TokenHolding");
    expect(res.body.components.schemas).toHaveProperty("ScheduledFundingInfo");
    expect(res.body.components.schemas).toHaveProperty("LaunchInfo");
  });
});
