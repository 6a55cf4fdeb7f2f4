import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { testAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { fake } from "./helpers/fake";

let seq = 0;
const nextWallet = () => testAddress(180, ++seq);
const sig = (n: number) =>
  `${"2".repeat(80)}${String(seq).padStart(4, "1")}${String(n).padStart(4, "1")}`.replace(/0/g, "o");
const SENDER_A = testAddress(181, 1);
const SENDER_B = testAddress(181, 2);

/** A Helius enhanced transaction (the real parse-API shape, see ../shared/fixtures) with native transfers. */
const enhanced = (signature: string, transfers: [string, string, number][], error: unknown = null) => ({
  description: "",
  type: "TRANSFER",
  source: "SYSTEM_PROGRAM",
  fee: 5000,
  feePayer: transfers[0]?.[0] ?? SENDER_A,
  signature,
  slot: 300_000_000,
  timestamp: 1_763_700_000,
  tokenTransfers: [],
  nativeTransfers: transfers.map(([fromUserAccount, toUserAccount, amount]) => ({
    fromUserAccount,
    toUserAccount,
    amount,
  })),
  accountData: [],
  transactionError: error,
  instructions: [],
  events: {},
});

beforeEach(async () => {
  await fake.reset();
});

describe("funding transfers identified from parsed transactions", () => {
  it("refresh identifies SOL received with amount, sender and time; keeps them per wallet, deduplicated", async () => {
    const wallet = nextWallet();
    await api("POST", "/api/wallets/", { address: wallet });
    await fake.wallet({
      address: wallet,
      lamports: 700_000_000,
      signatures: [
        { signature: sig(1), slot: 10, blockTime: 1_763_700_000 }, // funded by A and B in one transaction
        { signature: sig(2), slot: 11, blockTime: 1_763_700_100 }, // the wallet paying someone: no funding
        { signature: sig(3), slot: 12, blockTime: 1_763_700_200, err: { InstructionError: [0, "Custom"] } },
      ],
    });
    await fake.transactions(
      enhanced(sig(1), [
        [SENDER_A, wallet, 400_000_000],
        [SENDER_B, wallet, 250_000_000],
        [SENDER_A, wallet, 50_000_000],
      ]),
      enhanced(sig(2), [[wallet, SENDER_B, 10_000_000]]),
    );
    const res = await api("POST", `/api/wallets/${wallet}/refresh`);
    expect(res.status).toBe(200);
    const transfers = res.body.data.funding_transfers as Record<string, unknown>[];
    expect(transfers.map((t) => [t.sender, t.amount_lamports, t.amount_sol, t.signature, t.block_time]).sort()).toEqual(
      [
        [SENDER_A, "450000000", 0.45, sig(1), "2025-11-21T04:40:00.000Z"],
        [SENDER_B, "250000000", 0.25, sig(1), "2025-11-21T04:40:00.000Z"],
      ].sort(),
    );
    // The failed transaction was never sent to the parse API; the other two in one batched call.
    const parsedBodies = (await fake.requests()).filter((r) => r.route === "helius.transactions");
    expect(parsedBodies).toHaveLength(1);
    expect(((parsedBodies[0] as { body: { transactions: string[] } }).body.transactions ?? []).sort()).toEqual(
      [sig(1), sig(2)].sort(),
    );

    // Refreshed again: nothing parsed twice, nothing counted twice.
    const again = await api("POST", `/api/wallets/${wallet}/refresh`);
    expect(again.body.data.funding_transfers).toHaveLength(2);
    expect((await fake.calls())["helius.transactions"]).toBe(1);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM funding_transfers WHERE wallet_address = ?")
      .bind(wallet)
      .first<{ n: number }>();
    expect(n?.n).toBe(2);
  });

  it("a parse-API failure fails the funding part (207), stores no signature, and the next refresh catches up", async () => {
    const wallet = nextWallet();
    await api("POST", "/api/wallets/", { address: wallet });
    await fake.wallet({
      address: wallet,
      lamports: 1,
      signatures: [{ signature: sig(1), slot: 10, blockTime: 1_763_700_000 }],
    });
    await fake.transactions(enhanced(sig(1), [[SENDER_A, wallet, 300_000_000]]));
    await fake.fail("helius.transactions", { status: 500, times: 1 });
    const res = await api("POST", `/api/wallets/${wallet}/refresh`);
    expect(res.status).toBe(207);
    expect(res.body.refresh.funding).toMatchObject({ status: "failed" });
    expect(res.body.refresh.funding.message).toContain("Helius");
    expect(res.body.data.recent_transactions).toEqual([]);
    const ok = await api("POST", `/api/wallets/${wallet}/refresh`);
    expect(ok.status).toBe(200);
    expect(ok.body.data.funding_transfers).toMatchObject([{ sender: SENDER_A, amount_lamports: "300000000" }]);
  });

  it("refresh-all identifies transfers too, parsing a transaction shared by two portfolio wallets once", async () => {
    const a = nextWallet();
    const b = nextWallet();
    for (const address of [a, b]) await api("POST", "/api/wallets/", { address });
    const shared = sig(9);
    for (const address of [a, b])
      await fake.wallet({
        address,
        lamports: 1,
        signatures: [{ signature: shared, slot: 10, blockTime: 1_763_700_000 }],
      });
    await fake.transactions(enhanced(shared, [[a, b, 120_000_000]]));
    const res = await api("POST", "/api/wallets/refresh-all");
    expect([200, 207]).toContain(res.status);
    expect((await api("GET", `/api/wallets/${b}`)).body.data.funding_transfers).toMatchObject([
      { sender: a, amount_lamports: "120000000" },
    ]);
    expect((await api("GET", `/api/wallets/${a}`)).body.data.funding_transfers).toEqual([]);
    const parsed = (await fake.requests()).filter((r) => r.route === "helius.transactions");
    const sent = parsed.flatMap((r) => (r.body as { transactions: string[] }).transactions);
    expect(sent.filter((s) => s === shared)).toHaveLength(1);
  });
});

describe("launch records refreshed from the chain", () => {
  it("a refresh stores each launch's confirmation; a launch that failed on chain leaves launch_count", async () => {
    const wallet = nextWallet();
    await api("POST", "/api/wallets/", { address: wallet });
    for (const [n, mint] of [
      [1, testAddress(182, seq * 10 + 1)],
      [2, testAddress(182, seq * 10 + 2)],
    ] as const)
      expect(
        (
          await api("POST", "/api/wallets/launches/record", {
            wallet_address: wallet,
            mint_address: mint,
            tx_signature: sig(n),
          })
        ).status,
      ).toBe(201);
    expect((await api("GET", `/api/wallets/${wallet}`)).body.data.launch_count).toBe(2);
    await fake.signatureStatuses({
      [sig(1)]: { confirmationStatus: "finalized", err: null, slot: 5 },
      [sig(2)]: { confirmationStatus: "finalized", err: { InstructionError: [1, "Custom"] }, slot: 6 },
    });
    const res = await api("POST", `/api/wallets/${wallet}/refresh`);
    expect(res.body.data.launch_count).toBe(1);
    const launches = (await api("GET", `/api/wallets/launches/${wallet}`)).body;
    const bySig = new Map(launches.data.map((l: { tx_signature: string }) => [l.tx_signature, l]));
    expect(bySig.get(sig(1))).toMatchObject({ confirmation_status: "finalized", chain_error: null });
    expect(bySig.get(sig(2))).toMatchObject({ confirmation_status: "finalized" });
    expect((bySig.get(sig(2)) as { chain_error: string }).chain_error).toContain("InstructionError");
    expect((bySig.get(sig(1)) as { chain_checked_at: string }).chain_checked_at).toBeTypeOf("string");
  });
});
