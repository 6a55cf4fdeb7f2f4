import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { QueueBook } from "../../src/pipeline/queue-book";

/**
 * A position a test writes straight into D1 also goes into the SwapQueue's book, as the queue's fill would
 * put it there (issue 10: the caps and the WalletActors' decisions read the book, not D1).
 */
export async function bookPosition(p: {
  id: string;
  leader: string;
  mint: string;
  cost_usd?: number;
  amount?: string;
  leader_block_time_ms?: number | null;
}) {
  await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
    new QueueBook(state.storage.sql).opened(p.id, p.cost_usd ?? 1, p.amount ?? "1000000", {
      leader_address: p.leader,
      token_mint: p.mint,
      leader_block_time_ms: p.leader_block_time_ms ?? null,
    });
  });
}

/** The position closed outside the queue (the test deleted or closed it in D1). */
export async function unbookPosition(id: string) {
  await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
    new QueueBook(state.storage.sql).closedOutside(id);
  });
}
