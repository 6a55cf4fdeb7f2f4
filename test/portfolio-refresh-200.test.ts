import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { chunkCost, walletsPerChunk } from "../src/db/portfolio-refresh";
import { testAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";

// This file owns its D1: exactly the 200 wallets created here exist.
const N = 200;
const wallets = Array.from({ length: N }, (_, i) => testAddress(190, i));
const FUNDER = testAddress(191, 1);
const MINT = testAddress(191, 2);
const sigOf = (i: number) => `${"5".repeat(80)}${String(i).padStart(8, "1")}`.replace(/0/g, "o");

async function control(what: string, body: unknown) {
  const res = await env.FAKE_UPSTREAM.fetch(`http://fake.upstream/__fake/${what}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
}

/** Every outbound HTTP request the fake received (a JSON-RPC batch is one). */
async function httpRequests() {
  const calls = await fake.calls();
  const chain = await fake.chain();
  const other = Object.entries(calls)
    .filter(([k]) => !k.startsWith("rpc."))
    .reduce((n, [, v]) => n + v, 0);
  return chain.rpc_http_requests + other;
}

describe("refresh-all over 200 wallets in chunks inside the subrequest budget", () => {
  it("plans chunks from the budget", () => {
    expect(walletsPerChunk(44)).toBeGreaterThan(1);
    expect(chunkCost(walletsPerChunk(44))).toBeLessThanOrEqual(44);
    expect(chunkCost(walletsPerChunk(44) + 1)).toBeGreaterThan(44);
  });

  it("completes in chunks continued by the PortfolioRefresher's alarm, no invocation above max_subrequests_per_invocation", async () => {
    await env.DB.batch(
      wallets.map((address, i) =>
        env.DB.prepare("INSERT INTO wallet_info (address, created_at, updated_at) VALUES (?, ?, ?)").bind(
          address,
          new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
          new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
        ),
      ),
    );
    await fake.reset();
    await fake.tokens({ mint: MINT, name: "Gamma", symbol: "GAM", decimals: 6 });
    await control("wallets", {
      wallets: wallets.map((address, i) => ({
        address,
        lamports: i % 2 === 0 ? 500_000_000 : 100_000_000,
        token_accounts: [{ mint: MINT, amount: String(1000 + i), decimals: 6 }],
        signatures: [{ signature: sigOf(i), slot: 1000 + i, blockTime: 1_763_700_000 }],
      })),
    });
    await control("transactions", {
      transactions: wallets.map((address, i) => ({
        signature: sigOf(i),
        timestamp: 1_763_700_000,
        slot: 1000 + i,
        type: "TRANSFER",
        nativeTransfers: [{ fromUserAccount: FUNDER, toUserAccount: address, amount: 100_000 + i }],
      })),
    });

    const budget = 45; // config max_subrequests_per_invocation default
    const first = await api("POST", "/api/wallets/refresh-all");
    expect(first.status).toBe(202);
    expect(first.body.run).toMatchObject({ status: "running", wallets_total: N, chunks: 1 });
    expect(first.body.run.chunk_log[0].subrequests).toBeLessThanOrEqual(budget - 1);

    // Each later chunk is one alarm invocation of the refresher (driven here; the runtime may also fire it).
    const stub = env.PORTFOLIO_REFRESHER.getByName("default");
    const run = await waitFor(async () => {
      await runDurableObjectAlarm(stub);
      const r = (await api("GET", `/api/wallets/refresh-all/${first.body.run.id}`)).body.data;
      return r.status === "done" ? r : null;
    }, 60_000);
    expect(run).toMatchObject({ status: "done", wallets_total: N, wallets_done: N, ok: N, partial: 0, failed: 0 });
    expect(run.chunks).toBeGreaterThanOrEqual(2);
    for (const c of run.chunk_log) expect(c.subrequests).toBeLessThanOrEqual(budget - 1);
    expect(run.max_chunk_subrequests).toBeLessThanOrEqual(budget - 1);
    // The reported count is the count made: every outbound request the fake saw.
    const total = await httpRequests();
    expect(run.subrequests_total).toBe(total);
    console.log(
      `refresh-all of ${N} wallets: ${run.chunks} chunks, subrequests per chunk ${run.chunk_log.map((c: { subrequests: number }) => c.subrequests).join(" + ")} = ${run.subrequests_total} (budget ${budget} per invocation); RPC calls batched: ${Object.entries(
        await fake.calls(),
      )
        .filter(([k]) => k.startsWith("rpc."))
        .reduce((n, [, v]) => n + v, 0)}`,
    );

    const list = (await api("GET", "/api/wallets/")).body.data as {
      address: string;
      status: string;
      last_balance_sol: number;
    }[];
    expect(list).toHaveLength(N);
    expect(list.filter((w) => w.status === "FUNDED")).toHaveLength(N / 2);
    const one = (await api("GET", `/api/wallets/${wallets[150]}`)).body.data;
    expect(one.funding_transfers).toMatchObject([{ sender: FUNDER, amount_lamports: String(100_150) }]);
    expect(one.token_holdings).toMatchObject([{ name: "Gamma", balance: "1150" }]);
    const latest = await api("GET", "/api/wallets/refresh-all/latest");
    expect(latest.body.data.id).toBe(run.id);
  });

  it("refuse a second refresh-all while one is in progress (409), and start anew once it was abandoned", async () => {
    const now = new Date().toISOString();
    await env.DB.prepare(
      "INSERT INTO portfolio_refresh_runs (id, status, subrequest_budget, wallets_total, started_at, updated_at) VALUES ('busy', 'running', 44, 200, ?, ?)",
    )
      .bind(now, now)
      .run();
    const dup = await api("POST", "/api/wallets/refresh-all");
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain("busy");
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await env.DB.prepare("UPDATE portfolio_refresh_runs SET updated_at = ? WHERE id = 'busy'").bind(old).run();
    await setConfig({ max_subrequests_per_invocation: 1000 }); // one chunk: answered at once
    const fresh = await api("POST", "/api/wallets/refresh-all");
    expect(fresh.status).toBe(200);
    expect(fresh.body.run).toMatchObject({ status: "done", chunks: 1, wallets_done: N });
    expect((await api("GET", "/api/wallets/refresh-all/busy")).body.data.status).toBe("done");
  });
});
