import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import balanceFx from "../../shared/fixtures/solana-rpc-getBalance.docs.json";
import multiFx from "../../shared/fixtures/solana-rpc-getMultipleAccounts.docs.json";
import sigsFx from "../../shared/fixtures/solana-rpc-getSignaturesForAddress.docs.json";
import tokenFx from "../../shared/fixtures/solana-rpc-getTokenAccountsByOwner-jsonParsed-token.docs.json";
import t22Fx from "../../shared/fixtures/solana-rpc-getTokenAccountsByOwner-jsonParsed-token2022.captured.json";
import { getDb } from "../src/db/client";
import { ensureTokenMetadata } from "../src/db/token-metadata";
import { getAssetBatch } from "../src/upstream/helius-das";
import { UpstreamError } from "../src/upstream/http";
import {
  getBalanceLamports,
  getBalancesLamports,
  getRecentSignatures,
  getTokenAccounts,
  SPL_CLASSIC_PROGRAM,
  TOKEN_2022_PROGRAM,
} from "../src/upstream/solana-rpc";
import { testAddress } from "./helpers/addresses";
import { fake } from "./helpers/fake";

beforeEach(() => fake.reset());

const OWNER = testAddress(9, 1);

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error("expected a rejection");
}

describe("Solana RPC client (@solana/kit) on the real fixture shapes", () => {
  it("getBalance: u64 lamports as bigint", async () => {
    await fake.rpcScript("getBalance", balanceFx.response);
    expect(await getBalanceLamports(env, balanceFx.request.params[0] as string)).toBe(0n);
    await fake.rpcScript("getBalance", null);
    await fake.wallet({ address: OWNER, lamports: 88_849_814_690_250 });
    expect(await getBalanceLamports(env, OWNER)).toBe(88_849_814_690_250n);
  });

  it("getMultipleAccounts: input order, u64::MAX rentEpoch ignored, null = 0", async () => {
    await fake.rpcScript("getMultipleAccounts", multiFx.response);
    const keys = multiFx.request.params[0] as string[];
    const got = await getBalancesLamports(env, keys);
    expect([...got.entries()]).toEqual([
      [keys[0], 88_849_814_690_250n],
      [keys[1], 998_763_433n],
    ]);
    await fake.rpcScript("getMultipleAccounts", null);
    await fake.wallet({ address: OWNER, lamports: 5 });
    const missing = testAddress(9, 2);
    expect(await getBalancesLamports(env, [missing, OWNER])).toEqual(
      new Map([
        [missing, 0n],
        [OWNER, 5n],
      ]),
    );
  });

  it("splits more than 100 keys into several getMultipleAccounts calls", async () => {
    const keys = Array.from({ length: 150 }, (_, i) => testAddress(10, i));
    const got = await getBalancesLamports(env, keys);
    expect(got.size).toBe(150);
    expect((await fake.calls())["rpc.getMultipleAccounts"]).toBe(2);
  });

  it("getTokenAccountsByOwner jsonParsed: classic and Token-2022 accounts", async () => {
    await fake.rpcScript("getTokenAccountsByOwner", tokenFx.response);
    expect(await getTokenAccounts(env, tokenFx.request.params[0] as string, SPL_CLASSIC_PROGRAM)).toEqual([
      {
        pubkey: "BGocb4GEpbTFm8UFV2VsDSaBXHELPfAXrvd4vtt8QWrA",
        mint: "2cHr7QS3xfuSV8wdxo3ztuF4xbiarF6Nrgx3qpx3HzXR",
        amount: "420000000000000",
        decimals: 6,
        token_program: SPL_CLASSIC_PROGRAM,
      },
    ]);
    await fake.rpcScript("getTokenAccountsByOwner", t22Fx.response);
    expect(await getTokenAccounts(env, t22Fx.request.params[0] as string, TOKEN_2022_PROGRAM)).toEqual([
      {
        pubkey: "2je6rgKzzBX6SiYUpEhrshmpmEJvEewDNCkLq1Rbreh7",
        mint: "CYRKaU7PaCnSAnDWT1UgSk3uF2gXrkauJYJcHuDPYwLr",
        amount: "0",
        decimals: 6,
        token_program: TOKEN_2022_PROGRAM,
      },
    ]);
  });

  it("skips an account the node could not parse (base64 fallback) instead of failing", async () => {
    const raw = structuredClone(tokenFx.response) as { result: { value: { account: { data: unknown } }[] } };
    const parsed = raw.result.value[0] as { account: { data: unknown } };
    raw.result.value.push({ ...parsed, account: { ...parsed.account, data: ["AAAA", "base64"] } });
    await fake.rpcScript("getTokenAccountsByOwner", raw);
    expect(await getTokenAccounts(env, OWNER, SPL_CLASSIC_PROGRAM)).toHaveLength(1);
  });

  it("getSignaturesForAddress: null blockTime, failed transactions flagged", async () => {
    await fake.rpcScript("getSignaturesForAddress", sigsFx.response);
    expect(await getRecentSignatures(env, sigsFx.request.params[0] as string, 1)).toEqual([
      {
        signature: "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv",
        slot: 114,
        block_time: null,
        succeeded: true,
        memo: null,
        confirmation_status: "finalized",
      },
    ]);
  });
});

describe("Solana RPC client failures become UpstreamError('solana-rpc')", () => {
  it("JSON-RPC error envelope", async () => {
    await fake.rpcScript("getBalance", {
      jsonrpc: "2.0",
      error: { code: -32602, message: "Invalid param: WrongSize" },
    });
    const err = await rejection(getBalanceLamports(env, OWNER));
    expect(err).toMatchObject({ service: "solana-rpc", kind: "http", retryable: false });
    expect(err.message).toContain("-32602");
    expect(err.message).not.toContain("WrongSize"); // never echo the upstream text
  });

  it("HTTP 429 is retryable, 500 too", async () => {
    await fake.fail("rpc.getBalance", { status: 429, times: 1 });
    expect(await rejection(getBalanceLamports(env, OWNER))).toMatchObject({
      kind: "http",
      status: 429,
      retryable: true,
    });
    await fake.fail("rpc.getBalance", { status: 500, times: 1 });
    expect(await rejection(getBalanceLamports(env, OWNER))).toMatchObject({
      kind: "http",
      status: 500,
      retryable: true,
    });
  });

  it("timeout (UPSTREAM_TIMEOUT_MS) and malformed bodies", async () => {
    await fake.fail("rpc.getSignaturesForAddress", { mode: "timeout", delay_ms: 1500, times: 1 });
    expect(await rejection(getRecentSignatures(env, OWNER, 5))).toMatchObject({ kind: "timeout", retryable: true });
    await fake.fail("rpc.getMultipleAccounts", { mode: "malformed", times: 1 });
    expect(await rejection(getBalancesLamports(env, [OWNER]))).toMatchObject({ kind: "malformed" });
  });

  it("a well-formed answer of the wrong shape", async () => {
    await fake.rpcScript("getBalance", { jsonrpc: "2.0", result: { context: { slot: 1 }, value: "lots" } });
    expect(await rejection(getBalanceLamports(env, OWNER))).toMatchObject({ kind: "malformed" });
    await fake.rpcScript("getMultipleAccounts", { jsonrpc: "2.0", result: { context: { slot: 1 }, value: [] } });
    expect(await rejection(getBalancesLamports(env, [OWNER]))).toMatchObject({ kind: "malformed" });
  });
});

describe("token metadata (DAS getAssetBatch, batched)", () => {
  it("reads name/symbol/decimals for many mints in one call; unknown mints are absent", async () => {
    const a = testAddress(11, 1);
    const b = testAddress(11, 2);
    await fake.tokens({ mint: a, name: "Alpha", symbol: "ALP", decimals: 5 });
    const got = await getAssetBatch(env, [a, b]);
    expect(got).toEqual([{ mint: a, name: "Alpha", symbol: "ALP", decimals: 5 }]);
    expect((await fake.calls())["rpc.getAssetBatch"]).toBe(1);
  });

  it("ensureTokenMetadata fills missing names once, never per token, and survives an upstream failure", async () => {
    const db = getDb(env.DB);
    const mints = Array.from({ length: 40 }, (_, i) => testAddress(12, i));
    await fake.tokens(...mints.slice(0, 30).map((mint, i) => ({ mint, name: `Tok ${i}`, symbol: `T${i}` })));
    expect(
      await ensureTokenMetadata(
        env,
        db,
        mints.map((mint) => ({ mint, decimals: 6 })),
      ),
    ).toBe(40);
    expect((await fake.calls())["rpc.getAssetBatch"]).toBe(1);
    const row = await env.DB.prepare("SELECT name, symbol, decimals FROM tokens WHERE mint_address = ?")
      .bind(mints[3])
      .first();
    expect(row).toEqual({ name: "Tok 3", symbol: "T3", decimals: 6 });
    // Known now, and the 10 unknown ones were asked recently: no new call.
    expect(
      await ensureTokenMetadata(
        env,
        db,
        mints.map((mint) => ({ mint })),
      ),
    ).toBe(0);
    expect((await fake.calls())["rpc.getAssetBatch"]).toBe(1);

    const fresh = [testAddress(12, 100)];
    await fake.rpcScript("getAssetBatch", { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" } });
    await expect(
      ensureTokenMetadata(
        env,
        db,
        fresh.map((mint) => ({ mint })),
      ),
    ).resolves.toBe(1);
    const unknown = await env.DB.prepare("SELECT name FROM tokens WHERE mint_address = ?").bind(fresh[0]).first();
    expect(unknown).toEqual({ name: null });
  });

  it("falls back to DexScreener's baseToken (one batched call) for what DAS cannot name", async () => {
    const db = getDb(env.DB);
    const mints = Array.from({ length: 3 }, (_, i) => testAddress(13, i));
    await fake.tokens(...mints.map((mint, i) => ({ mint, name: `Dex ${i}`, symbol: `DX${i}`, price_usd: 1 })));
    await fake.rpcScript("getAssetBatch", { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" } });
    expect(
      await ensureTokenMetadata(
        env,
        db,
        mints.map((mint) => ({ mint })),
      ),
    ).toBe(3);
    expect(await fake.calls()).toMatchObject({ "rpc.getAssetBatch": 1, "dexscreener.tokens": 1 });
    const rows = await env.DB.prepare(`SELECT name, symbol FROM tokens WHERE mint_address IN (?, ?, ?) ORDER BY name`)
      .bind(...mints)
      .all();
    expect(rows.results).toEqual([
      { name: "Dex 0", symbol: "DX0" },
      { name: "Dex 1", symbol: "DX1" },
      { name: "Dex 2", symbol: "DX2" },
    ]);
  });
});
