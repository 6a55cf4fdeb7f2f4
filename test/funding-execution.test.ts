import "../src/index"; // start-up: isSecureContext for @solana/kit signing
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runFundingExecution } from "../src/jobs/funding-execution";
import { runJob } from "../src/jobs/run-job";
import { testAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1 } from "./helpers/faults";
import { newSolanaSecretKey } from "./helpers/keys";

let funder: { secret: string; address: string };
let seq = 0;
const withKey = (over: Partial<Env> = {}) => ({ ...env, FUNDING_WALLET_PRIVATE_KEY: funder.secret, ...over }) as Env;
const run = (e: Env = withKey()) => runJob(e, "funding_execution", "* * * * *", runFundingExecution);
const fundingRow = (id: string) =>
  env.DB.prepare("SELECT * FROM scheduled_funding WHERE id = ?").bind(id).first<Record<string, unknown>>();

/** A wallet and a funding of `amount_sol` to it, made due (scheduled_for moved into the past). */
async function dueFunding(amount_sol = 0.5) {
  const wallet = testAddress(160, ++seq);
  expect((await api("POST", "/api/wallets/", { address: wallet })).status).toBe(201);
  const res = await api("POST", "/api/wallets/funding/schedule", {
    wallet_address: wallet,
    amount_sol,
    scheduled_for: new Date(Date.now() + 60_000).toISOString(),
  });
  expect(res.status).toBe(201);
  const id = (res.body.data ?? res.body).id as string;
  await env.DB.prepare("UPDATE scheduled_funding SET scheduled_for = ? WHERE id = ?")
    .bind(new Date(Date.now() - 1000).toISOString(), id)
    .run();
  return { wallet, id };
}

beforeAll(async () => {
  funder = await newSolanaSecretKey();
});

beforeEach(async () => {
  await fake.reset();
  await fake.wallet({ address: funder.address, lamports: 10_000_000_000 });
  await setConfig({ funding_execution_enabled: true, max_funding_transfer_sol: 1 });
  // Earlier tests' fundings must not be picked up: settle them out of the way.
  await env.DB.prepare(
    "UPDATE scheduled_funding SET status = 'cancelled' WHERE status IN ('scheduled', 'submitted')",
  ).run();
});

describe("scheduled fundings executed by the cron", () => {
  it("a due funding is executed once against the fake chain, its signature verified by the fake", async () => {
    const { wallet, id } = await dueFunding(0.5);
    const r = await run();
    expect(r.status).toBe("ok");
    const row = await fundingRow(id);
    expect(row).toMatchObject({ status: "executed", amount_lamports: "500000000", source_wallet: funder.address });
    expect(row?.executed_at).toBeTypeOf("string");
    const chain = await fake.chain();
    const landed = chain.landed[row?.tx_signature as string];
    expect(landed).toMatchObject({
      fee_payer: funder.address,
      transfers: [{ from: funder.address, to: wallet, lamports: 500_000_000 }],
      sends: 1,
      outcome: "landed",
    });
    expect(Object.keys(chain.landed)).toHaveLength(1);
    // Later runs never send it again.
    await run();
    await run();
    expect((await fake.chain()).landed[row?.tx_signature as string]?.sends).toBe(1);
    expect(((await fake.state()).sentTransactions as string[]).length).toBe(1);
    const listed = await api("GET", `/api/wallets/funding/scheduled?wallet_address=${wallet}`);
    expect(listed.body.data[0]).toMatchObject({ status: "executed", tx_signature: row?.tx_signature });
  });

  it("with the master switch off nothing is signed or sent and the funding stays scheduled", async () => {
    await setConfig({ funding_execution_enabled: false });
    const { id } = await dueFunding(0.5);
    const r = await run();
    expect(r.detail).toMatchObject({ enabled: false, started: 0, skipped: 1 });
    expect(await fundingRow(id)).toMatchObject({ status: "scheduled", tx_signature: null });
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(0);
    expect((await fake.calls())["rpc.getLatestBlockhash"]).toBeUndefined();
  });

  it("without a funding key nothing is sent", async () => {
    const { id } = await dueFunding(0.5);
    await run(withKey({ FUNDING_WALLET_PRIVATE_KEY: "" }));
    expect(await fundingRow(id)).toMatchObject({ status: "scheduled", tx_signature: null });
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(0);
  });

  it("a funding above max_funding_transfer_sol is failed with the reason and never sent", async () => {
    const { id } = await dueFunding(1.5);
    await run();
    const row = await fundingRow(id);
    expect(row).toMatchObject({ status: "failed", tx_signature: null });
    expect(row?.failure_reason).toContain("max_funding_transfer_sol");
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(0);
  });

  it("a crash between the signature being stored and the send: the next run sends the same bytes once", async () => {
    const { wallet, id } = await dueFunding(0.25);
    // The send never reaches the chain (the process dies / the request is lost after the claim).
    await fake.fail("rpc.sendTransaction", { status: 503, times: 1 });
    await run();
    const stored = await fundingRow(id);
    expect(stored).toMatchObject({ status: "submitted" });
    expect(stored?.tx_signature).toBeTypeOf("string");
    expect(stored?.signed_transaction).toBeTypeOf("string");
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(0);

    await run(); // reconcile: unknown to the cluster, blockhash valid → the stored bytes, not a new signature
    const row = await fundingRow(id);
    expect(row).toMatchObject({ status: "executed", tx_signature: stored?.tx_signature });
    const chain = await fake.chain();
    expect(Object.keys(chain.landed)).toEqual([stored?.tx_signature]);
    expect(chain.landed[stored?.tx_signature as string]).toMatchObject({
      sends: 1,
      transfers: [{ to: wallet, lamports: 250_000_000 }],
    });
    expect((await fake.calls())["rpc.getLatestBlockhash"]).toBe(1); // signed once
  });

  it("a crash after the send, before the outcome is stored: settled by signature status without a second send", async () => {
    const { id } = await dueFunding(0.3);
    const db = faultyD1(env.DB, { match: /^update "scheduled_funding" set "status" = \?.*"executed_at"/i });
    const crashed = await run(withKey({ DB: db.binding }));
    expect(crashed.status).toBe("error");
    expect(await fundingRow(id)).toMatchObject({ status: "submitted" });
    await run();
    const row = await fundingRow(id);
    expect(row?.status).toBe("executed");
    expect((await fake.chain()).landed[row?.tx_signature as string]?.sends).toBe(1);
    expect(((await fake.state()).sentTransactions as string[]).length).toBe(1);
  });

  it("a transfer that never lands is failed once its blockhash expired, and never re-signed", async () => {
    const { id } = await dueFunding(0.2);
    await fake.sendMode("drop");
    await run();
    const submitted = await fundingRow(id);
    expect(submitted?.status).toBe("submitted");
    await run(); // still valid: the same bytes again, no new signature
    expect(await fundingRow(id)).toMatchObject({ status: "submitted", tx_signature: submitted?.tx_signature });
    await fake.blockHeight((submitted?.last_valid_block_height as number) + 1);
    await run();
    const row = await fundingRow(id);
    expect(row).toMatchObject({ status: "failed", tx_signature: submitted?.tx_signature });
    expect(row?.failure_reason).toContain("expired");
    expect(Object.keys((await fake.chain()).landed)).toEqual([submitted?.tx_signature]);
    expect((await fake.calls())["rpc.getLatestBlockhash"]).toBe(1);
  });

  it("a transfer that lands with an error on chain is failed with the reason, never re-sent", async () => {
    const { id } = await dueFunding(0.2);
    await fake.sendMode("fail");
    await run();
    const row = await fundingRow(id);
    expect(row?.status).toBe("failed");
    expect(row?.failure_reason).toContain("failed on chain");
    await run();
    expect((await fake.chain()).landed[row?.tx_signature as string]?.sends).toBe(1);
  });

  it("a submitted funding cannot be cancelled (409); the cron settles it", async () => {
    const { id } = await dueFunding(0.2);
    await fake.sendMode("drop");
    await run();
    const res = await api("DELETE", `/api/wallets/funding/${id}`);
    expect(res.status).toBe(409);
  });
});

describe("the fake chain verifies signatures", () => {
  it("rejects a transaction whose signature does not match its fee payer (-32003)", async () => {
    const { id } = await dueFunding(0.1);
    await fake.sendMode("drop");
    await run();
    const wire = (await fundingRow(id))?.signed_transaction as string;
    const bytes = Uint8Array.from(atob(wire), (c) => c.charCodeAt(0));
    bytes[5] = (bytes[5] ?? 0) ^ 0xff; // inside the first signature
    const tampered = btoa(String.fromCharCode(...bytes));
    const res = await env.FAKE_UPSTREAM.fetch("http://fake.upstream/rpc", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "sendTransaction",
        params: [tampered, { encoding: "base64" }],
      }),
    });
    const body = (await res.json()) as { error?: { code: number } };
    expect(body.error?.code).toBe(-32003);
    const junk = await env.FAKE_UPSTREAM.fetch("http://fake.upstream/rpc", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "sendTransaction",
        params: ["AQID", { encoding: "base64" }],
      }),
    });
    expect(((await junk.json()) as { error?: { code: number } }).error?.code).toBe(-32602);
  });
});

describe("the minute cron", () => {
  it("runs the funding execution through scheduled() and records the run", async () => {
    const { createScheduledController, createExecutionContext, waitOnExecutionContext } = await import(
      "cloudflare:test"
    );
    const { scheduled } = await import("../src/scheduled");
    const { id } = await dueFunding(0.15);
    const ctx = createExecutionContext();
    await scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), withKey(), ctx);
    await waitOnExecutionContext(ctx);
    expect((await fundingRow(id))?.status).toBe("executed");
    const job = await env.DB.prepare(
      "SELECT status, detail FROM job_runs WHERE job = 'funding_execution' ORDER BY id DESC LIMIT 1",
    ).first<{
      status: string;
      detail: string;
    }>();
    expect(job?.status).toBe("ok");
    expect(JSON.parse(job?.detail ?? "{}")).toMatchObject({
      funding: { started: 1 },
      refresh_all_watchdog: { rearmed: false },
    });
  });
});
