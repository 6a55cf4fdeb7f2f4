import { beforeEach, describe, expect, it } from "vitest";
import { testAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";
import { fake } from "./helpers/fake";

// This file owns its D1 (storage is per file): exactly the wallets created here exist.
const N = 50;
const wallets = Array.from({ length: N }, (_, i) => testAddress(50, i));
const mintA = testAddress(51, 1);
const mintB = testAddress(51, 2);

beforeEach(async () => {
  await fake.reset();
});

async function scriptChain() {
  await fake.tokens(
    { mint: mintA, name: "Alpha", symbol: "ALP", decimals: 6 },
    { mint: mintB, name: "Beta", symbol: "BET", decimals: 9, token_program: "token2022" },
  );
  for (const [i, address] of wallets.entries()) {
    await fake.wallet({
      address,
      // Even wallets hold 0.5 SOL, odd ones 0.1 SOL; every 10th account was never created (null → 0 SOL).
      ...(i % 10 === 9 ? {} : { lamports: i % 2 === 0 ? 500_000_000 : 100_000_000 }),
      token_accounts: [
        { mint: mintA, amount: String(1000 + i), decimals: 6 },
        { mint: mintB, amount: String(2000 + i), decimals: 9, program: "token2022" },
      ],
      signatures: [
        { signature: `${"3".repeat(80)}${String(i).padStart(8, "0")}`, slot: 1000 + i, blockTime: 1_763_700_000 },
      ],
    });
  }
}

describe("refresh-all over 50 wallets", () => {
  it("create the 50 wallets", async () => {
    for (const address of wallets) expect((await api("POST", "/api/wallets/", { address })).status).toBe(201);
    expect((await api("GET", "/api/wallets/")).body.data).toHaveLength(N);
  });

  it("refresh every wallet with 152 RPC calls batched into a handful of HTTP requests (issue 15: not one per call)", async () => {
    await scriptChain();
    const res = await api("POST", "/api/wallets/refresh-all");
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ wallets: N, ok: N, partial: 0, failed: 0 });
    expect(res.body.source).toBe("solana");
    expect(res.body.is_stale).toBe(false);

    const calls = Object.fromEntries(Object.entries(await fake.calls()).filter(([k]) => k.startsWith("rpc.")));
    expect(calls).toEqual({
      "rpc.getMultipleAccounts": 1, // all 50 balances in one call, never getBalance per wallet
      "rpc.getTokenAccountsByOwner": 2 * N, // Token + Token-2022 per wallet: the RPC has no multi-owner form
      "rpc.getSignaturesForAddress": N,
      "rpc.getAssetBatch": 1, // names of every new mint in one call
    });
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    expect(total).toBe(152);
    // JSON-RPC batches: ⌈151/50⌉ = 4 HTTP requests for the chain reads, 1 for the token names, and one
    // Helius parse call for the 50 new signatures — the run reports exactly what was made.
    const http = (await fake.chain()).rpc_http_requests + ((await fake.calls())["helius.transactions"] ?? 0);
    expect(http).toBe(6);
    expect(res.body.run).toMatchObject({ status: "done", chunks: 1, subrequests_total: http });

    const byAddress = new Map(res.body.data.map((w: { address: string }) => [w.address, w]));
    for (const [i, address] of wallets.entries()) {
      const w = byAddress.get(address) as Record<string, unknown> & {
        token_holdings: { name: string; balance: string }[];
      };
      const sol = i % 10 === 9 ? 0 : i % 2 === 0 ? 0.5 : 0.1;
      expect(w.last_balance_sol, address).toBe(sol);
      expect(w.status).toBe(sol >= 0.25 ? "FUNDED" : "UNFUNDED");
      expect(w.token_holdings.map((h) => [h.name, h.balance])).toEqual(
        [
          ["Alpha", String(1000 + i)],
          ["Beta", String(2000 + i)],
        ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
      );
    }
    expect(res.body.results.every((r: { status: string }) => r.status === "ok")).toBe(true);

    // Names are cached now: a second refresh-all needs no metadata call.
    await fake.reset();
    await scriptChain();
    const again = await api("POST", "/api/wallets/refresh-all");
    expect(again.status).toBe(200);
    expect((await fake.calls())["rpc.getAssetBatch"]).toBeUndefined();
  });

  it("report per wallet with 207 when the batched balance read fails, keeping every cached balance", async () => {
    const before = (await api("GET", "/api/wallets/")).body.data as { address: string; last_balance_sol: number }[];
    await scriptChain();
    await fake.wallet({ address: wallets[0] as string, lamports: 7_000_000_000 });
    await fake.fail("rpc.getMultipleAccounts", { status: 500 });
    const res = await api("POST", "/api/wallets/refresh-all");
    expect(res.status).toBe(207);
    expect(res.body.summary).toEqual({ wallets: N, ok: 0, partial: N, failed: 0 });
    for (const r of res.body.results) {
      expect(r.parts.balance.status).toBe("failed");
      expect(r.parts.balance.message).toContain("HTTP 500");
      expect(r.parts.holdings.status).toBe("ok");
      expect(r.parts.funding.status).toBe("ok");
    }
    const after = new Map(res.body.data.map((w: { address: string; last_balance_sol: number }) => [w.address, w]));
    for (const w of before) expect((after.get(w.address) as typeof w).last_balance_sol).toBe(w.last_balance_sol);
  });

  it("report one failing wallet alone (207) and answer 503 when nothing at all can be refreshed", async () => {
    await scriptChain();
    await fake.fail("rpc.getSignaturesForAddress", { status: 500, times: 1 });
    const res = await api("POST", "/api/wallets/refresh-all");
    expect(res.status).toBe(207);
    expect(res.body.summary).toEqual({ wallets: N, ok: N - 1, partial: 1, failed: 0 });

    await fake.clearFailure("rpc.getSignaturesForAddress"); // a spent route failure would shadow "*"
    await fake.fail("*", { status: 502 });
    const down = await api("POST", "/api/wallets/refresh-all");
    expect(down.status).toBe(503);
    expectErrorShape(down.body, "UpstreamUnavailable");
    expect(down.body.summary.failed).toBe(N);
    expect(down.body.data).toHaveLength(N);
  });
});
