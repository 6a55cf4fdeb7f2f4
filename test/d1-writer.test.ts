import { abortAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { isConstraintError } from "../src/db/constraint-error";
import { tokens } from "../src/db/schema";
import { tokenRowUpsert } from "../src/db/token-safety";
import { d1WriterOf, sharedWrite } from "../src/pipeline/shared-d1-write";
import { waitFor } from "./helpers/execution";
import { faultyD1, heldD1, patchWriter } from "./helpers/faults";
import { addr, nativeBuy } from "./helpers/helius";
import { deliver, insertWallet, settle, signalBySignature } from "./helpers/wallet-actor";

const writer = () => d1WriterOf(env);
const db = getDb(env.DB);
const tokenRow = (mint: string) =>
  tokenRowUpsert(db, mint, { decimals: 6, safety_checked_at: new Date().toISOString() } as never);
const decimalsOf = async (mint: string) =>
  (await env.DB.prepare("SELECT decimals FROM tokens WHERE mint_address = ?").bind(mint).first<{ decimals: number }>())
    ?.decimals ?? null;

/** Holds the writer's D1 batches (so later writes queue behind the first) and counts its D1 calls. */
async function heldWriter() {
  const held = heldD1(env.DB, "batches");
  const counted = faultyD1(held.binding, { match: /^$/ });
  const restore = await patchWriter({ DB: counted.binding });
  return { held, counted, restore };
}

/** The suite's `waitFor`, naming what never happened. */
const until = (what: string, ok: () => boolean | Promise<boolean>) =>
  waitFor(async () => (await ok()) || null).catch(() => {
    throw new Error(`never: ${what}`);
  });

describe("the shared D1 writer (issue 10)", () => {
  it("writes callers that wait meanwhile in ONE batch, each caller answered once its rows are in D1", async () => {
    const mints = Array.from({ length: 6 }, () => addr());
    const { held, counted, restore } = await heldWriter();
    try {
      const first = sharedWrite(env, [tokenRow(mints[0] as string)]);
      await until("the first batch is in flight", () => held.waiting() === 1);
      const rest = mints.slice(1).map((m) => sharedWrite(env, [tokenRow(m)]));
      // Every later call is queued behind the held batch before it is let through.
      await until("the later calls are queued", async () => (await writer().stats()).waiting === mints.length - 1);
      held.release();
      await Promise.all([first, ...rest]);
      expect(counted.calls.map((c) => c.length)).toEqual([1, mints.length - 1]);
      for (const m of mints) expect(await decimalsOf(m)).toBe(6);
    } finally {
      held.release();
      await restore();
    }
  });

  it("a unit that fails is its caller's alone: the others in its batch land, it gets D1's error", async () => {
    const [before, after] = [addr(), addr()];
    const { held, restore } = await heldWriter();
    try {
      const opener = sharedWrite(env, [tokenRow(addr())]);
      await until("the first batch is in flight", () => held.waiting() === 1);
      const good1 = sharedWrite(env, [tokenRow(before)]);
      // Two plain inserts of one new mint: a UNIQUE failure inside the shared batch (caught at once: it is
      // awaited only after the others).
      const dup = addr();
      const plain = { toSQL: () => ({ sql: "INSERT INTO tokens (mint_address) VALUES (?)", params: [dup] }) };
      const poison = sharedWrite(env, [plain, plain]).then(
        () => null,
        (e: unknown) => e,
      );
      const good2 = sharedWrite(env, [tokenRow(after)]);
      await until("the three are queued", async () => (await writer().stats()).waiting === 3);
      held.release();
      await Promise.all([opener, good1, good2]);
      expect(isConstraintError(await poison, "UNIQUE")).toBe(true);
      expect(await decimalsOf(dup)).toBeNull();
      expect(await decimalsOf(before)).toBe(6);
      expect(await decimalsOf(after)).toBe(6);
    } finally {
      held.release();
      await restore();
    }
  });

  it("a unit's statements are one transaction: a failing one leaves none of its unit in D1", async () => {
    const mint = addr();
    const err = await sharedWrite(env, [
      tokenRow(mint),
      { toSQL: () => ({ sql: "INSERT INTO no_such_table (x) VALUES (?)", params: [1] }) },
    ]).then(
      () => null,
      (e: unknown) => String(e),
    );
    expect(err).toMatch(/no such table/);
    expect(await decimalsOf(mint)).toBeNull();
  });

  it("D1 down: the caller is told (it keeps what it owes), and the same call succeeds once D1 is back", async () => {
    const mint = addr();
    const down = faultyD1(env.DB, { match: /tokens/, times: 1_000, message: "D1 unreachable" });
    const restore = await patchWriter({ DB: down.binding });
    await expect(sharedWrite(env, [tokenRow(mint)])).rejects.toThrow(/D1 unreachable/);
    await restore();
    expect(await decimalsOf(mint)).toBeNull();
    await sharedWrite(env, [tokenRow(mint)]);
    expect(await decimalsOf(mint)).toBe(6);
  });

  it("killed with a batch in flight: the waiting calls fail (their callers retry) and a retry lands", async () => {
    const [a, b] = [addr(), addr()];
    const { held } = await heldWriter();
    const first = sharedWrite(env, [tokenRow(a)]).then(
      () => "ok",
      () => "failed",
    );
    await until("the first batch is in flight", () => held.waiting() === 1);
    const second = sharedWrite(env, [tokenRow(b)]).then(
      () => "ok",
      () => "failed",
    );
    await until("the second is queued", async () => (await writer().stats()).waiting === 1);
    // The process dies with a batch in flight and a call queued behind it.
    await abortAllDurableObjects();
    held.release();
    // The queued call was in memory only: it fails, never silently succeeds.
    expect(await second).toBe("failed");
    await first; // the held batch may or may not have reached D1: either way its caller was answered
    await sharedWrite(env, [tokenRow(b)]);
    expect(await decimalsOf(b)).toBe(6);
    expect((await db.select().from(tokens).all()).some((t) => t.mint_address === b)).toBe(true);
  });
});

describe("a signal's FOREIGN KEY failure through the shared writer (issue 10)", () => {
  it("a signal whose wallet row was deleted while its write waited lands without the reference", async () => {
    const wallet = addr();
    const walletId = await insertWallet(wallet);
    const { held, restore } = await heldWriter();
    try {
      // A stale BUY: filtered at once (no order, which would reference the wallet too); its signal waits here.
      const stale = {
        ...nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 }),
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      };
      expect((await deliver([stale], undefined, { wait: false })).status).toBe(200);
      await until("the signal's write is held", () => held.waiting() > 0);
      await env.DB.prepare("DELETE FROM wallets WHERE id = ?").bind(walletId).run();
      held.release();
      await settle(wallet);
      const signal = await signalBySignature(stale.signature);
      expect(signal).toMatchObject({ filtered: 1, filter_reason: "stale_signal", wallet_address: wallet });
      expect(signal.wallet_id).toBeNull();
    } finally {
      held.release();
      await restore();
    }
  });
});
