import type { IngestItem, WalletSnapshot } from "../../durable-objects/wallet-actor";
import { type HeliusTx, involvedAddresses } from "../domain/helius-tx";
import { lookUpWatched, noteWallet, watchCache } from "./watch-cache";

export interface HandOffItem {
  tx: HeliusTx;
  /** The transaction exactly as received (stored verbatim by the WalletActor). */
  raw: unknown;
}

/** Per item: newly persisted by an actor, already there everywhere, involving no watched wallet, or not taken. */
export type HandOffOutcome = "accepted" | "duplicate" | "ignored" | "failed";

const RANK: Record<HandOffOutcome, number> = { ignored: 0, duplicate: 1, accepted: 2, failed: 3 };

export interface HandOffResult {
  outcomes: HandOffOutcome[];
  /** Hand-offs (one per wallet group) and the reasons of those that were rejected. */
  groups: number;
  failures: unknown[];
}

/**
 * Routes enhanced transactions to the WalletActors of the watched wallets they involve and waits until every
 * actor has persisted its share (DESIGN §1). Shared by the Helius webhook and the backfill, so a transaction
 * recovered late goes exactly where a delivery would have gone. Items keep their order within a wallet (the
 * actor processes in arrival order).
 *
 * No D1 read in the normal case (issue 10): a transaction whose fee payer is in the isolate's watch cache
 * (src/pipeline/watch-cache.ts) is that wallet's trade and goes straight to its actor, which checks the
 * wallet against its own hot state. Any other transaction — fee payer unknown to the cache, or none — takes
 * the D1 look-up of every address it involves, so nothing is ignored on the cache's word.
 */
export async function handOff(
  env: Pick<Env, "DB" | "WALLET_ACTOR">,
  items: readonly HandOffItem[],
  receivedAt: number,
): Promise<HandOffResult> {
  const involved = items.map((v) => involvedAddresses(v.tx));
  const cache = items.length > 0 ? await watchCache(env.DB) : null;
  const cached = items.map((v) => (v.tx.feePayer ? (cache?.get(v.tx.feePayer) ?? null) : null));
  // One query for every address the other items touch.
  const unknown = [...new Set(involved.flatMap((s, i) => (cached[i] ? [] : [...s])))];
  const watched = await lookUpWatched(env.DB, unknown);

  const outcomes: HandOffOutcome[] = items.map(() => "ignored");
  const groups = new Map<string, { wallet: WalletSnapshot; items: IngestItem[]; indexes: number[] }>();
  items.forEach((v, i) => {
    const hit = cached[i];
    let mine = hit ? [hit] : watched.filter((w) => involved[i]?.has(w.address));
    // One signal per transaction (unique signature): when the signer is watched, the transaction is its
    // trade, and another watched wallet appearing in it (a counterparty, a transfer target) is not routed.
    const signer = mine.find((w) => w.address === v.tx.feePayer);
    if (signer) mine = [signer];
    for (const w of mine) {
      const g = groups.get(w.address) ?? {
        wallet: { id: w.id, address: w.address, is_active: w.is_active },
        items: [],
        indexes: [],
      };
      g.items.push({ signature: v.tx.signature, payload: v.raw });
      g.indexes.push(i);
      groups.set(w.address, g);
    }
  });

  // A transaction routed to several wallets takes the strongest outcome: one failed hand-off means the caller
  // must retry (failed), else accepted anywhere counts as accepted. In parallel; all settled before returning.
  const merge = (index: number, o: HandOffOutcome) => {
    if (RANK[o] > RANK[outcomes[index] as HandOffOutcome]) outcomes[index] = o;
  };
  const settled = await Promise.allSettled(
    [...groups.values()].map(async (g) => {
      try {
        const res = await env.WALLET_ACTOR.getByName(g.wallet.address).ingest(g.wallet, g.items, receivedAt);
        for (const [k, r] of res.entries()) merge(g.indexes[k] as number, r.status);
        // The actor's word on its wallet (its hot state, confirmed from D1 when in doubt) corrects the cache.
        const told = res.find((r) => r.wallet !== undefined)?.wallet;
        if (told !== undefined) noteWallet(g.wallet.address, told);
      } catch (err) {
        for (const index of g.indexes) merge(index, "failed");
        throw err;
      }
    }),
  );
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
  return { outcomes, groups: settled.length, failures };
}
