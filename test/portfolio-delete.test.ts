import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { testAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";
import { fake } from "./helpers/fake";

let seq = 0;
const nextWallet = () => testAddress(153, ++seq);
const count = async (table: string, address: string) =>
  (
    await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE wallet_address = ?`)
      .bind(address)
      .first<{ n: number }>()
  )?.n;

async function walletWithHistory() {
  const address = nextWallet();
  expect((await api("POST", "/api/wallets/", { address, notes: "operator notes" })).status).toBe(201);
  const launch = await api("POST", "/api/wallets/launches/record", {
    wallet_address: address,
    mint_address: testAddress(154, seq),
    notes: "first launch",
  });
  expect(launch.status).toBe(201);
  const funding = await api("POST", "/api/wallets/funding/schedule", {
    wallet_address: address,
    amount_sol: 0.5,
    scheduled_for: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(funding.status).toBe(201);
  return address;
}

beforeEach(async () => {
  await fake.reset();
});

describe("delete keeps operator history", () => {
  it("refuse to delete a wallet with launch records and scheduled fundings (409), losing nothing", async () => {
    const address = await walletWithHistory();
    const res = await api("DELETE", `/api/wallets/${address}`);
    expect(res.status).toBe(409);
    expectErrorShape(res.body, "Conflict");
    expect(res.body.detail).toContain("force=true");
    expect(await count("launches", address)).toBe(1);
    expect(await count("scheduled_funding", address)).toBe(1);
    expect((await api("GET", `/api/wallets/${address}`)).body.data).toMatchObject({
      status: "LAUNCHED",
      notes: "operator notes",
    });
  });

  it("force=true archives the wallet, keeps every record and cancels the still-scheduled funding", async () => {
    const address = await walletWithHistory();
    const res = await api("DELETE", `/api/wallets/${address}?force=true`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ address, status: "ARCHIVED", launch_count: 1, notes: "operator notes" });
    expect(await count("launches", address)).toBe(1);
    const fundings = await api("GET", `/api/wallets/funding/scheduled?wallet_address=${address}`);
    expect(fundings.body.data).toHaveLength(1);
    expect(fundings.body.data[0].status).toBe("cancelled");
    expect((await api("GET", `/api/wallets/launches/${address}`)).body.data).toHaveLength(1);
    // Archived, not gone: still readable, and a second forced delete changes nothing.
    expect((await api("DELETE", `/api/wallets/${address}?force=true`)).status).toBe(200);
    expect(await count("launches", address)).toBe(1);
  });

  it("delete a wallet without history (204) and reject a bad force value (400)", async () => {
    const address = nextWallet();
    await api("POST", "/api/wallets/", { address });
    const bad = await api("DELETE", `/api/wallets/${address}?force=yes`);
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    expect((await api("DELETE", `/api/wallets/${address}`)).status).toBe(204);
    expect((await api("GET", `/api/wallets/${address}`)).status).toBe(404);
  });
});
