import { z } from "zod";
import { isBase58Address } from "./address";

/**
 * One Helius enhanced transaction as delivered by the webhook (../shared/fixtures). Only the fields the
 * classifier reads are checked; unknown fields are kept (`.loose()`), because Helius adds fields over time.
 * Fields that real payloads sometimes omit or fill with placeholders are optional: the classifier copes.
 */
const ADDRESS_MESSAGE = "not a Solana address (base58, 32 bytes)";
/**
 * Every mint and account is checked as a Solana address (issue 9, item 14): these strings become D1 keys,
 * Durable Object names and upstream URL components, so a `/` or a placeholder never travels further.
 * Helius writes `""` for the missing side of a mint or burn transfer: that, or null, is "no account".
 */
const addr = z
  .string()
  .refine((s) => s === "" || isBase58Address(s), ADDRESS_MESSAGE)
  .nullish();
const mintAddress = z.string().refine((s) => isBase58Address(s), ADDRESS_MESSAGE);
/** An SPL amount is a u64: signed raw text (balance changes are deltas) whose magnitude fits 64 bits. */
const U64_MAX = 18446744073709551615n;
const signedRawAmount = z.string().superRefine((s, ctx) => {
  if (!/^-?\d{1,20}$/.test(s)) ctx.addIssue({ code: "custom", message: "must be integer text of base units" });
  else if ((s.startsWith("-") ? -BigInt(s) : BigInt(s)) > U64_MAX)
    ctx.addIssue({ code: "custom", message: "larger than a u64 token amount" });
});
/** Lamports arrive as JSON numbers: above 2^53 they are already rounded, so they are refused, not guessed. */
const lamports = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const TokenTransferSchema = z
  .object({
    fromUserAccount: addr,
    toUserAccount: addr,
    fromTokenAccount: addr,
    toTokenAccount: addr,
    tokenAmount: z.number().finite().nonnegative(), // UI amount: decimals already applied
    mint: mintAddress,
    tokenStandard: z.string().nullish(),
  })
  .loose();

const NativeTransferSchema = z
  .object({
    fromUserAccount: addr,
    toUserAccount: addr,
    amount: lamports.optional(),
  })
  .loose();

const TokenBalanceChangeSchema = z
  .object({
    userAccount: addr,
    tokenAccount: addr,
    mint: mintAddress,
    rawTokenAmount: z
      .object({
        tokenAmount: signedRawAmount,
        decimals: z.number().int().min(0).max(255).optional(),
      })
      .loose(),
  })
  .loose();

const AccountDataSchema = z
  .object({
    account: z.string().refine((s) => isBase58Address(s), ADDRESS_MESSAGE),
    nativeBalanceChange: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
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
    feePayer: addr,
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
