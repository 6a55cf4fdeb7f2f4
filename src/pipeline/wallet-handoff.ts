import type { IngestItem, WalletSnapshot } from "../../durable-objects/wallet-actor";
import { type HeliusTx, involvedAddresses } from "../domain/helius-tx";

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
 */
export async function handOff(
  env: Pick<Env, "DB" | "WALLET_ACTOR">,
  items: readonly HandOffItem[],
  receivedAt: number,
): Promise<HandOffResult> {
  // One query for every address the items touch (json_each: D1 caps bound parameters at 100).
  const involved = items.map((v) => involvedAddresses(v.tx));
  const all = [...new Set(involved.flatMap((s) => [...s]))];
  const { results: watched } = await env.DB.prepare(
    "SELECT id, address, is_active FROM wallets WHERE address IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(all))
    .all<{ id: number; address: string; is_active: number }>();

  const outcomes: HandOffOutcome[] = items.map(() => "ignored");
  const groups = new Map<string, { wallet: WalletSnapshot; items: IngestItem[]; indexes: number[] }>();
  items.forEach((v, i) => {
    let mine = watched.filter((w) => involved[i]?.has(w.address));
    // One signal per transaction (unique signature): when the signer is watched, the transaction is its
    // trade, and another watched wallet appearing in it (a counterparty, a transfer target) is not routed.
    const signer = mine.find((w) => w.address === v.tx.feePayer);
    if (signer) mine = [signer];
    for (const w of mine) {
      const g = groups.get(w.address) ?? {
        wallet: { id: w.id, address: w.address, is_active: w.is_active === 1 },
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
      } catch (err) {
        for (const index of g.indexes) merge(index, "failed");
        throw err;
      }
    }),
  );
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
  return { outcomes, groups: settled.length, failures };
}
