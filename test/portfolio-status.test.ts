import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { testAddress } from "./helpers/addresses";
import { api, expectErrorShape, withEnv } from "./helpers/api";
import { fake } from "./helpers/fake";

let seq = 0;
const nextWallet = () => testAddress(151, ++seq);

async function createWallet(address: string) {
  expect((await api("POST", "/api/wallets/", { address })).status).toBe(201);
}
const row = (address: string) =>
  env.DB.prepare("SELECT status, first_funded_at FROM wallet_info WHERE address = ?")
    .bind(address)
    .first<{ status: string; first_funded_at: string | null }>();

beforeEach(async () => {
  await fake.reset();
});

describe("status rule on every path", () => {
  it("PUT status FUNDED on a wallet that never reached the threshold is refused (422) and changes nothing", async () => {
    const address = nextWallet();
    await createWallet(address);
    const res = await api("PUT", `/api/wallets/${address}`, { status: "FUNDED", label: "x" });
    expect(res.status).toBe(422);
    expectErrorShape(res.body, "RuleRefused");
    expect(res.body.detail).toContain("UNFUNDED");
    expect(await row(address)).toEqual({ status: "UNFUNDED", first_funded_at: null });
    expect((await api("GET", `/api/wallets/${address}`)).body.data.label).toBeNull();
  });

  it("PUT status LAUNCHED without a launch record, or UNFUNDED on a funded wallet, is refused (422)", async () => {
    const address = nextWallet();
    await createWallet(address);
    await fake.wallet({ address, lamports: 300_000_000 });
    expect((await api("POST", `/api/wallets/${address}/refresh`)).body.data.status).toBe("FUNDED");
    for (const status of ["LAUNCHED", "UNFUNDED"]) {
      const res = await api("PUT", `/api/wallets/${address}`, { status });
      expect(res.status, status).toBe(422);
      expectErrorShape(res.body, "RuleRefused");
    }
    expect((await row(address))?.status).toBe("FUNDED");
  });

  it("archive, refresh with SOL, unarchive into the derived FUNDED with first_funded_at set exactly once", async () => {
    const address = nextWallet();
    await createWallet(address);
    expect((await api("PUT", `/api/wallets/${address}`, { status: "ARCHIVED" })).status).toBe(200);
    await fake.wallet({ address, lamports: 1_000_000_000 });
    const refreshed = await api("POST", `/api/wallets/${address}/refresh`);
    expect(refreshed.body.data.status).toBe("ARCHIVED");
    const first = refreshed.body.data.first_funded_at as string;
    expect(first).toBeTypeOf("string");
    // The wrong status is refused; the derived one unarchives.
    expect((await api("PUT", `/api/wallets/${address}`, { status: "UNFUNDED" })).status).toBe(422);
    const back = await api("PUT", `/api/wallets/${address}`, { status: "FUNDED" });
    expect(back.status).toBe(200);
    expect(back.body.data).toMatchObject({ status: "FUNDED", first_funded_at: first });
    await api("POST", `/api/wallets/${address}/refresh`);
    expect(await row(address)).toEqual({ status: "FUNDED", first_funded_at: first });
  });

  it("an archive that lands while a refresh awaits the chain is never undone by that refresh", async () => {
    const address = nextWallet();
    await createWallet(address);
    await fake.wallet({ address, lamports: 1_000_000_000 });
    // The refresh reads the wallet, then waits on the RPC; the archive is written in that gap. The balance
    // answer is delayed 1 s and the test waits until that call has reached the chain (a condition, not a
    // fixed sleep). The upstream timeout is raised to 10 s meanwhile: with the config's 400 ms, machine load
    // turned the slow answer into a timeout (207). (The fake's hold/release cannot be used here: a hold
    // released from another request's context never wakes the held request in workerd.)
    await fake.latency("rpc.getBalance", 1000);
    const res = await withEnv({ UPSTREAM_TIMEOUT_MS: "10000" }, async () => {
      const refreshing = api("POST", `/api/wallets/${address}/refresh`);
      for (let i = 0; i < 1500 && !(await fake.calls())["rpc.getBalance"]; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect((await fake.calls())["rpc.getBalance"]).toBe(1);
      expect((await api("PUT", `/api/wallets/${address}`, { status: "ARCHIVED" })).status).toBe(200);
      return refreshing;
    });
    expect(res.status).toBe(200);
    // Whatever the interleaving, the archive stands and the funding time is recorded once.
    const after = await row(address);
    expect(after?.status).toBe("ARCHIVED");
    expect(after?.first_funded_at).toBeTypeOf("string");
  });

  it("a launch recorded on an archived wallet keeps it archived; unarchive gives LAUNCHED", async () => {
    const address = nextWallet();
    await createWallet(address);
    await api("PUT", `/api/wallets/${address}`, { status: "ARCHIVED" });
    const rec = await api("POST", "/api/wallets/launches/record", {
      wallet_address: address,
      mint_address: testAddress(152, seq),
    });
    expect(rec.status).toBe(201);
    expect((await row(address))?.status).toBe("ARCHIVED");
    expect((await api("PUT", `/api/wallets/${address}`, { status: "FUNDED" })).status).toBe(422);
    const back = await api("PUT", `/api/wallets/${address}`, { status: "LAUNCHED" });
    expect(back.status).toBe(200);
    expect(back.body.data).toMatchObject({ status: "LAUNCHED", launch_count: 1 });
  });
});
