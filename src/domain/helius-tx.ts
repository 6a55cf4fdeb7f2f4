import { z } from "zod";

/**
 * One Helius enhanced transaction as delivered by the webhook (../shared/fixtures). Only the fields the
 * classifier reads are checked; unknown fields are kept (`.loose()`), because Helius adds fields over time.
 * Fields that real payloads sometimes omit or fill with placeholders are optional: the classifier copes.
 */
const addr = z.string().nullish();

const TokenTransferSchema = z
  .object({
    fromUserAccount: addr,
    toUserAccount: addr,
    fromTokenAccount: addr,
    toTokenAccount: addr,
    tokenAmount: z.number().finite().nonnegative(), // UI amount: decimals already applied
    mint: z.string().min(1),
    tokenStandard: z.string().nullish(),
  })
  .loose();

const NativeTransferSchema = z
  .object({
    fromUserAccount: addr,
    toUserAccount: addr,
    amount: z.number().int().nonnegative().optional(), // lamports
  })
  .loose();

const TokenBalanceChangeSchema = z
  .object({
    userAccount: addr,
    tokenAccount: addr,
    mint: z.string().min(1),
    rawTokenAmount: z
      .object({
        tokenAmount: z.string(), // raw integer text, signed; the docs example holds a placeholder
        decimals: z.number().int().min(0).max(255).optional(),
      })
      .loose(),
  })
  .loose();

const AccountDataSchema = z
  .object({
    account: z.string(),
    nativeBalanceChange: z.number().optional(),
    tokenBalanceChanges: z.array(TokenBalanceChangeSchema).nullish(),
  })
  .loose();

export const HeliusTxSchema = z
  .object({
    signature: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,100}$/, "must be a base58 transaction signature"),
    timestamp: z.number().int().positive(), // unix seconds
    slot: z.number().int().nonnegative().optional(),
    type: z.string().nullish(),
    source: z.string().nullish(),
    fee: z.number().nonnegative().optional(),
    feePayer: z.string().nullish(),
    description: z.string().nullish(),
    transactionError: z.unknown().optional(),
    tokenTransfers: z.array(TokenTransferSchema).nullish(),
    nativeTransfers: z.array(NativeTransferSchema).nullish(),
    accountData: z.array(AccountDataSchema).nullish(),
    events: z.unknown().optional(),
  })
  .loose();

export type HeliusTx = z.infer<typeof HeliusTxSchema>;
export type HeliusTokenTransfer = z.infer<typeof TokenTransferSchema>;

/** Every address a transaction touches: the watched wallets it involves are among these. */
export function involvedAddresses(tx: HeliusTx): Set<string> {
  const out = new Set<string>();
  const add = (a: string | null | undefined) => {
    if (a) out.add(a);
  };
  add(tx.feePayer);
  for (const t of tx.tokenTransfers ?? []) {
    add(t.fromUserAccount);
    add(t.toUserAccount);
  }
  for (const n of tx.nativeTransfers ?? []) {
    add(n.fromUserAccount);
    add(n.toUserAccount);
  }
  for (const a of tx.accountData ?? []) {
    add(a.account);
    for (const b of a.tokenBalanceChanges ?? []) add(b.userAccount);
  }
  return out;
}
