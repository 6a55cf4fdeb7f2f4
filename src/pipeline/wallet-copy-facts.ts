// The facts a BUY's copy rules need (src/domain/copy-rules.ts), from actor state: the WalletActor's trade log and
// the SwapQueue's book (one RPC). D1 only where the book cannot answer (src/pipeline/wallet-d1-fallbacks.ts).
import type { Db } from "../db/client";
import { cooldownNeedsHistory, firstLiveEntry } from "../domain/copy-facts";
import type { EntryFacts, EntryFactsQuery } from "./queue-facts";
import type { SignalLog } from "./signal-log";
import { copyFactsFromD1, lastExitFromD1 } from "./wallet-d1-fallbacks";
import type { CopyFacts } from "./wallet-entry";

export interface CopyFactsPorts {
  trades: SignalLog;
  /** The SwapQueue's answer; null: its book is not loaded yet. */
  queueEntryFacts(q: EntryFactsQuery): Promise<EntryFacts | null>;
  db(): Db;
}

/**
 * The copy facts of this leader's BUY of `mint`: D1 answers when the book is not loaded, or for closes the book
 * never saw within the mint's cooldown (positions older than the book).
 */
export async function copyFactsOf(
  p: CopyFactsPorts,
  address: string,
  mint: string,
  signature: string,
  cooldownSeconds: number,
): Promise<CopyFacts> {
  const entries = p.trades.trades(mint, "buy").filter((t) => t.signature !== signature && t.entry_usd !== null);
  const facts = await p.queueEntryFacts({
    leader_address: address,
    token_mint: mint,
    order_ids: entries.flatMap((e) => (e.order_id ? [e.order_id] : [])),
  });
  if (!facts) return copyFactsFromD1(p.db(), address, mint, signature);
  // The first entry of this leader in this mint: a position, or an entry decided whose order did not fail.
  const live = firstLiveEntry(entries, facts.order_states);
  const lastExit = cooldownNeedsHistory(facts, Date.now(), cooldownSeconds)
    ? await lastExitFromD1(p.db(), mint)
    : facts.last_exit_at_ms;
  return {
    prior_entry_usd: facts.first_position_usd ?? live?.entry_usd ?? null,
    last_exit_at_ms: lastExit,
    open_positions: facts.open_positions,
    exposure_usd: facts.exposure_usd,
  };
}
