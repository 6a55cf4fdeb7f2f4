import type { HeliusTx } from "./helius-tx";

/** SOL received by one wallet in one transaction from one sender. */
export interface FundingTransfer {
  signature: string;
  sender: string;
  lamports: bigint;
  slot: number | null;
  /** Unix seconds (the block time Helius reports). */
  timestamp: number;
}

/**
 * The funding transfers of `wallet` in a parsed transaction: native SOL moved TO the wallet FROM another
 * account (Helius `nativeTransfers`, lamports), summed per sender. A failed transaction moved nothing;
 * the wallet paying itself, or sending SOL away, is no funding. WSOL token transfers are swaps or
 * wraps, not fundings, and are ignored.
 */
export function fundingTransfersOf(tx: HeliusTx, wallet: string): FundingTransfer[] {
  if (tx.transactionError != null) return [];
  const bySender = new Map<string, bigint>();
  for (const n of tx.nativeTransfers ?? []) {
    const from = n.fromUserAccount;
    if (n.toUserAccount !== wallet || !from || from === wallet) continue;
    if (typeof n.amount !== "number" || !Number.isSafeInteger(n.amount)) continue;
    const amount = BigInt(n.amount);
    if (amount <= 0n) continue;
    bySender.set(from, (bySender.get(from) ?? 0n) + amount);
  }
  return [...bySender].map(([sender, lamports]) => ({
    signature: tx.signature,
    sender,
    lamports,
    slot: tx.slot ?? null,
    timestamp: tx.timestamp,
  }));
}
