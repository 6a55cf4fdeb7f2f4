import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { positionIdFor } from "../src/domain/position";
import { QueueBook } from "../src/pipeline/queue-book";
import { entryFacts, openCopies } from "../src/pipeline/queue-facts";
import { createQueueTables } from "../src/pipeline/queue-storage";
import { drainQueue } from "./helpers/drive";
import { buyRequest, queue, resetBreaker, setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, patchEnv } from "./helpers/faults";
import { addr } from "./helpers/helius";

/**
 * The facts a WalletActor's decision reads from the SwapQueue's book, over every kind of book row: rows that
 * name their origin, rows from before the origin columns (origin read from their entry order, `pos_<order>`),
 * rows seeded from D1 with no order (unknown origin), and rows of other mints and leaders that must not count.
 */
function seed(sql: SqlStorage, leader: string, other: string, mint: string, otherMint: string) {
  createQueueTables(sql);
  const book = new QueueBook(sql);
  const order = (id: string, m: string, l: string, blockTime: number, state = "done") =>
    sql.exec(
      `INSERT INTO queue (order_id, idempotency_key, priority, priority_rank, request, state, created_at_ms)
       VALUES (?, ?, 'entry', 3, ?, ?, 0)`,
      id,
      `k-${id}`,
      JSON.stringify({
        side: "buy",
        token_mint: m,
        requested_usd: 7,
        leader_block_time: blockTime,
        entry: { source_wallet_address: l },
      }),
      state,
    );
  // Before the origin columns: the origin is in the entry order.
  order("old1", mint, leader, 5);
  book.opened("pos_old1", 11, "100");
  order("old2", otherMint, leader, 6);
  book.opened("pos_old2", 12, "100");
  // Seeded from D1 with no order here: unknown origin, one closed, one open.
  book.seed([
    { id: "seed_closed", entry_cost_usd: 13, entry_amount: "100", current_amount: "100" },
    { id: "seed_open", entry_cost_usd: 14, entry_amount: "100", current_amount: "100" },
  ]);
  book.sold("seed_closed", "100", true);
  // With their origin.
  book.opened("pos_a", 21, "100", { leader_address: leader, token_mint: mint, leader_block_time_ms: 9_000 });
  book.opened("pos_b", 22, "100", { leader_address: other, token_mint: mint, leader_block_time_ms: 9_000 });
  book.opened("pos_c", 23, "100", { leader_address: leader, token_mint: otherMint, leader_block_time_ms: 9_000 });
  book.opened("pos_late", 24, "100", { leader_address: leader, token_mint: mint, leader_block_time_ms: 20_000 });
  book.opened("pos_shut", 25, "100", { leader_address: leader, token_mint: mint, leader_block_time_ms: 1_000 });
  book.sold("pos_shut", "100", true);
  // A queued entry counts towards the caps.
  order("queued", addr(), other, 1, "pending");
  return book;
}

/** A closed position of `leader` in `mint`, closed `agoMs` ago, in D1 only (as from before the book). */
const closedInD1 = (leader: string, mint: string, agoMs: number) =>
  env.DB.prepare(
    `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
      entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at, closed_at)
     VALUES (?, ?, ?, 6, 'simulation', 'closed', 0.001, '1000', 10, '0', ?, ?)`,
  )
    .bind(`pos-${mint}-${agoMs}`, leader, mint, new Date(0).toISOString(), new Date(Date.now() - agoMs).toISOString())
    .run();

describe("queue facts from the book (issue 10)", () => {
  it("entry facts and open copies over rows with, without and of unknown origin", async () => {
    const [leader, other, mint, otherMint] = [addr(), addr(), addr(), addr()];
    const out = await runInDurableObject(env.SWAP_QUEUE.getByName(`facts-${addr()}`), (_i, state) => {
      const sql = state.storage.sql;
      const book = seed(sql, leader, other, mint, otherMint);
      const closedAt = (id: string) =>
        sql.exec<{ t: number }>("SELECT closed_at_ms AS t FROM book WHERE position_id = ?", id).one().t;
      return {
        facts: entryFacts(sql, book, {
          leader_address: leader,
          token_mint: mint,
          order_ids: ["old1", "queued", "nope"],
        }),
        copies: openCopies(sql, { leader_address: leader, token_mint: mint, sold_at_ms: 10_000 }),
        otherCopies: openCopies(sql, { leader_address: other, token_mint: mint, sold_at_ms: 10_000 }),
        shutAt: closedAt("pos_shut"),
        seedAt: closedAt("seed_closed"),
      };
    });
    expect(out.facts).toMatchObject({
      first_position_usd: 11, // the oldest of this leader's positions in the mint: the one from before the columns
      last_exit_at_ms: out.shutAt,
      unknown_close_at_ms: out.seedAt,
      open_positions: 7 + 1, // 7 open book rows + 1 queued entry
      exposure_usd: 11 + 12 + 14 + 21 + 22 + 23 + 24 + 7,
      order_states: { old1: "done", queued: "pending", nope: null },
    });
    // This leader's open copies in the mint bought before the sale; a seeded open row may be one of them.
    expect(out.copies).toEqual({ complete: false, position_ids: ["pos_old1", "pos_a"] });
    expect(out.otherCopies).toEqual({ complete: false, position_ids: ["pos_b"] });
  });

  it("without rows of unknown origin the answer is complete", async () => {
    const [leader, mint] = [addr(), addr()];
    const out = await runInDurableObject(env.SWAP_QUEUE.getByName(`facts-${addr()}`), (_i, state) => {
      const sql = state.storage.sql;
      createQueueTables(sql);
      const book = new QueueBook(sql);
      book.opened("pos_x", 5, "10", { leader_address: leader, token_mint: mint, leader_block_time_ms: 1 });
      return {
        copies: openCopies(sql, { leader_address: leader, token_mint: mint, sold_at_ms: 2 }),
        facts: entryFacts(sql, book, { leader_address: leader, token_mint: mint, order_ids: [] }),
      };
    });
    expect(out.copies).toEqual({ complete: true, position_ids: ["pos_x"] });
    expect(out.facts).toMatchObject({ first_position_usd: 5, last_exit_at_ms: null, unknown_close_at_ms: null });
  });

  it("a filled simulated entry books its origin, so its mint's facts are read by index, not from the queue", async () => {
    await fake.reset();
    await resetBreaker();
    await setConfig({ swap_min_spacing_ms: 0 });
    const [leader, mint] = [addr(), addr()];
    await fake.tokens({ mint, price_usd: 0.002, decimals: 6 });
    const blockTime = Math.floor(Date.now() / 1000) - 1;
    const { order_id } = await queue().enqueue(
      buyRequest(mint, {
        leader_block_time: blockTime,
        entry: { source_wallet_address: leader, exit_strategy_id: null, token_decimals: 6 },
      }),
    );
    await drainQueue();
    const row = await runInDurableObject(queue(), (_i, state) =>
      state.storage.sql
        .exec(
          "SELECT leader_address, token_mint, leader_block_time_ms FROM book WHERE position_id = ?",
          positionIdFor(order_id),
        )
        .toArray(),
    );
    expect(row).toEqual([{ leader_address: leader, token_mint: mint, leader_block_time_ms: blockTime * 1000 }]);
  });

  it("a new book copies D1's closes within the longest cooldown once: the cooldown then reads no D1", async () => {
    const [recent, old, leader] = [addr(), addr(), addr()];
    await closedInD1(leader, recent, 3_600_000);
    await closedInD1(leader, recent, 7_200_000);
    await closedInD1(leader, old, 40 * 86_400_000); // past the longest cooldown (30 days): not copied
    const stub = env.SWAP_QUEUE.getByName(`book-seed-${recent}`);
    const first = await stub.entryFacts({ leader_address: leader, token_mint: recent, order_ids: [] });
    expect(first?.last_exit_at_ms).toBeGreaterThan(Date.now() - 3_700_000);
    expect(first?.last_exit_at_ms).toBeLessThan(Date.now() - 3_500_000);
    expect(first?.closes_known_since_ms).toBeLessThanOrEqual(Date.now() - 30 * 86_400_000);
    // From here on D1 answers no read: the book has what the cooldown needs.
    const d1 = faultyD1(env.DB, { match: /^\s*select/i, times: 1_000_000, message: "D1 read refused (test)" });
    const restore = await patchEnv(stub, { DB: d1.binding });
    const again = await stub.entryFacts({ leader_address: leader, token_mint: recent, order_ids: [] });
    expect(again?.last_exit_at_ms).toBe(first?.last_exit_at_ms);
    expect((await stub.entryFacts({ leader_address: leader, token_mint: old, order_ids: [] }))?.last_exit_at_ms).toBe(
      null,
    );
    expect(d1.statements).toEqual([]);
    await restore();
  });

  it("a book seeded before it copied closes copies them once, and answers meanwhile when D1 fails", async () => {
    const [mint, leader] = [addr(), addr()];
    const stub = env.SWAP_QUEUE.getByName(`book-legacy-${mint}`);
    await runInDurableObject(stub, (_i, state) => {
      new QueueBook(state.storage.sql).seed([]); // seeded by an older version: no closes copied
    });
    await closedInD1(leader, mint, 60_000);
    const d1 = faultyD1(env.DB, { match: /^\s*select/i, times: 1, message: "D1 read refused (test)" });
    const restore = await patchEnv(stub, { DB: d1.binding });
    const during = await stub.entryFacts({ leader_address: leader, token_mint: mint, order_ids: [] });
    expect(d1.thrown()).toBe(1);
    expect(during?.last_exit_at_ms).toBe(null); // not known yet: the WalletActor reads D1 for it (closes_known_since)
    expect(during?.closes_known_since_ms).toBeGreaterThan(Date.now() - 86_400_000);
    await restore();
    const triedAt = await runInDurableObject(stub, (instance) => {
      const book = (instance as unknown as { book: QueueBook }).book;
      const at = book.closesSeedTriedAtMs;
      book.closesSeedTriedAtMs -= 60_000; // as a minute later: the next call tries again
      return at;
    });
    expect(triedAt).toBeGreaterThan(0);
    const after = await stub.entryFacts({ leader_address: leader, token_mint: mint, order_ids: [] });
    expect(after?.last_exit_at_ms).toBeGreaterThan(Date.now() - 120_000);
    expect(after?.closes_known_since_ms).toBeLessThanOrEqual(Date.now() - 29 * 86_400_000);
  });
});
