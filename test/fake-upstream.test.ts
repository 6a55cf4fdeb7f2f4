import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { fake } from "./helpers/fake";

// Outbound fetches of the Worker under test reach the fake through miniflare's outboundService;
// these calls go through the same path (any host), exactly as the upstream clients will.
const up = (path: string, init?: RequestInit) => fetch(`https://any-upstream.example${path}`, init);
const rpc = (method: string, params: unknown[]) =>
  up("/rpc", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  }).then((r) => r.json() as Promise<{ result?: any; error?: any }>);

const MEME = "44sVpouhWHXzADVsVUo863tvgmaw6LNQo25fYRs1pump";
const OWNER = "83astBRguLMdt2h5U1Tpdq5tjFoJ6noeGwaY3mDLVcri";

beforeEach(async () => {
  await fake.reset();
  await fake.tokens({
    mint: MEME,
    price_usd: 0.002,
    liquidity_usd: 80_000,
    age_hours: 48,
    name: "Meme",
    symbol: "MEME",
  });
});

describe("fake upstream", () => {
  it("serves Jupiter Price v3 keyed by mint, omitting mints without a price, max 50 ids", async () => {
    const body = (await (await up(`/price/v3?ids=${MEME},Unknown1111111111111111111111111111111111`)).json()) as Record<
      string,
      any
    >;
    expect(Object.keys(body)).toEqual([MEME]);
    expect(body[MEME]).toMatchObject({ usdPrice: 0.002, decimals: 6 });
    const tooMany = await up(`/price/v3?ids=${Array.from({ length: 51 }, (_, i) => `m${i}`).join(",")}`);
    expect(tooMany.status).toBe(400);
  });

  it("serves a Jupiter quote with string amounts, 400 without a route, and a swap", async () => {
    const q = (await (
      await up(
        `/swap/v1/quote?inputMint=So11111111111111111111111111111111111111112&outputMint=${MEME}&amount=1000000000&slippageBps=300`,
      )
    ).json()) as any;
    expect(q.outAmount).toBe(String(Math.floor((150 / 0.002) * 1e6)));
    expect(q.routePlan[0].swapInfo.label).toBeTypeOf("string");
    const none = await up(`/swap/v1/quote?inputMint=${MEME}&outputMint=Nope&amount=1`);
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ errorCode: "COULD_NOT_FIND_ANY_ROUTE" });
    const swap = await up("/swap/v1/swap", {
      method: "POST",
      body: JSON.stringify({ userPublicKey: OWNER, quoteResponse: q }),
    });
    expect(await swap.json()).toMatchObject({
      swapTransaction: expect.any(String),
      lastValidBlockHeight: expect.any(Number),
      simulationError: null,
    });
  });

  it("serves DexScreener pairs and RugCheck reports in their real shapes", async () => {
    const pairs = (await (await up(`/tokens/v1/solana/${MEME}`)).json()) as any[];
    expect(pairs[0]).toMatchObject({
      baseToken: { address: MEME, symbol: "MEME" },
      priceUsd: "0.002",
      liquidity: { usd: 80_000 },
    });
    expect(pairs[0].pairCreatedAt).toBeLessThan(Date.now() - 47 * 3_600_000);
    const report = (await (await up(`/v1/tokens/${MEME}/report`)).json()) as any;
    expect(report).toMatchObject({ mint: MEME, mintAuthority: null, freezeAuthority: null, rugged: false });
    expect(report.topHolders).toHaveLength(10);
    expect((await up(`/v1/tokens/${MEME}/report/summary`)).status).toBe(200);
    expect((await up("/v1/tokens/Unknown/report")).status).toBe(404);
  });

  it("serves the Helius webhook-management API", async () => {
    const created = (await (
      await up("/v0/webhooks?api-key=k", {
        method: "POST",
        body: JSON.stringify({
          webhookURL: "https://x.test/h",
          transactionTypes: ["ANY"],
          accountAddresses: [OWNER],
          webhookType: "enhanced",
          authHeader: "s",
        }),
      })
    ).json()) as any;
    expect(created.webhookID).toBeTruthy();
    const edited = (await (
      await up(`/v0/webhooks/${created.webhookID}?api-key=k`, {
        method: "PUT",
        body: JSON.stringify({ accountAddresses: [] }),
      })
    ).json()) as any;
    expect(edited.accountAddresses).toEqual([]);
    expect((await up("/v0/webhooks")).status).toBe(401);
  });

  it("serves Solana JSON-RPC methods", async () => {
    await fake.wallet({
      address: OWNER,
      lamports: 300_000_000,
      token_accounts: [
        { mint: MEME, amount: "5000000", decimals: 6 },
        { mint: "CYRKaU7PaCnSAnDWT1UgSk3uF2gXrkauJYJcHuDPYwLr", amount: "7", decimals: 6, program: "token2022" },
      ],
      signatures: [
        { signature: "sigA", slot: 10, blockTime: 1_700_000_000 },
        { signature: "sigB", slot: 11, blockTime: 1_700_000_100 },
      ],
    });
    expect((await rpc("getBalance", [OWNER])).result.value).toBe(300_000_000);
    const multi = await rpc("getMultipleAccounts", [[OWNER, "missing"], { encoding: "base64" }]);
    expect(multi.result.value[0].lamports).toBe(300_000_000);
    expect(multi.result.value[1]).toBeNull();
    const classic = await rpc("getTokenAccountsByOwner", [
      OWNER,
      { programId: "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" },
      { encoding: "jsonParsed" },
    ]);
    expect(classic.result.value.map((a: any) => a.account.data.parsed.info.mint)).toEqual([MEME]);
    const t22 = await rpc("getTokenAccountsByOwner", [
      OWNER,
      { programId: "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb" },
      { encoding: "jsonParsed" },
    ]);
    expect(t22.result.value[0].account.data.program).toBe("spl-token-2022");
    expect((await rpc("getSignaturesForAddress", [OWNER, { limit: 10 }])).result.map((s: any) => s.signature)).toEqual([
      "sigB",
      "sigA",
    ]);
    expect((await rpc("getLatestBlockhash", [])).result.value.blockhash).toBeTypeOf("string");
    // Bytes that are no transaction are refused like a real node does; signed sends: test/funding-execution.test.ts.
    expect((await rpc("sendTransaction", ["AQID", { encoding: "base64" }])).error.code).toBe(-32602);
    const sig = "scriptedSig1111111111111111111111111111111111111111111111111111111111111";
    await fake.signatureStatuses({ [sig]: { confirmationStatus: "confirmed", err: null, slot: 1 } });
    const status = await rpc("getSignatureStatuses", [[sig, "unknown"]]);
    expect(status.result.value[0].confirmationStatus).toBe("confirmed");
    expect(status.result.value[1]).toBeNull();
    expect((await rpc("noSuchMethod", [])).error.code).toBe(-32601);
  });

  it("counts calls per endpoint and injects failures", async () => {
    await up(`/price/v3?ids=${MEME}`);
    await up(`/price/v3?ids=${MEME}`);
    await rpc("getBalance", [OWNER]);
    const calls = await fake.calls();
    expect(calls["jupiter.price"]).toBe(2);
    expect(calls["rpc.getBalance"]).toBe(1);

    await fake.fail("jupiter.price", { status: 429, times: 1 });
    expect((await up(`/price/v3?ids=${MEME}`)).status).toBe(429);
    expect((await up(`/price/v3?ids=${MEME}`)).status).toBe(200);
    await fake.fail("dexscreener.tokens", { mode: "malformed", times: 1 });
    await expect((await up(`/tokens/v1/solana/${MEME}`)).json()).rejects.toThrow();
    await fake.fail("rpc.getBalance", { mode: "timeout", delay_ms: 50, times: 1 });
    expect(
      (
        await up("/rpc", {
          method: "POST",
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getBalance", params: [OWNER] }),
        })
      ).status,
    ).toBe(504);
    await fake.fail("rugcheck.report", { status: 500 });
    expect((await up(`/v1/tokens/${MEME}/report`)).status).toBe(500);
    expect((await up(`/v1/tokens/${MEME}/report`)).status).toBe(500);
    await fake.clearFailure("rugcheck.report");
    expect((await up(`/v1/tokens/${MEME}/report`)).status).toBe(200);
  });

  it("is reachable from the env binding as well", async () => {
    expect((await env.FAKE_UPSTREAM.fetch(`http://x/price/v3?ids=${MEME}`)).status).toBe(200);
  });
});
