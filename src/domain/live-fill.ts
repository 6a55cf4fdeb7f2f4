/**
 * The real fill of a confirmed swap, read from the transaction's balance changes (issue 11): the trading
 * wallet's token balance change for the mint and its lamport change (network and priority fees
 * included), never the quote's amounts. Pure: the executor passes the parsed `getTransaction` result.
 */

export interface TxBalances {
  fee: bigint;
  /** Account keys in the order of the balance arrays (static keys, then loaded writable, then readonly). */
  account_keys: string[];
  pre_lamports: bigint[];
  post_lamports: bigint[];
  pre_tokens: { mint: string; owner?: string; amount: string; decimals: number }[];
  post_tokens: { mint: string; owner?: string; amount: string; decimals: number }[];
}

export type FillRead =
  | { ok: true; token_delta: bigint; lamport_delta: bigint; fee: bigint; decimals: number | null }
  | { ok: false; reason: string };

const sumFor = (list: TxBalances["pre_tokens"], owner: string, mint: string) =>
  list.filter((b) => b.owner === owner && b.mint === mint).reduce((acc, b) => acc + BigInt(b.amount), 0n);

/** Signed deltas for `owner`: token_delta > 0 = received; lamport_delta < 0 = spent (fees included). */
export function readFill(tx: TxBalances, owner: string, mint: string): FillRead {
  const i = tx.account_keys.indexOf(owner);
  if (i < 0) return { ok: false, reason: "the trading wallet is not an account of the transaction" };
  const pre = tx.pre_lamports[i];
  const post = tx.post_lamports[i];
  if (pre === undefined || post === undefined) return { ok: false, reason: "balances missing for the trading wallet" };
  const decimals =
    tx.post_tokens.find((b) => b.owner === owner && b.mint === mint)?.decimals ??
    tx.pre_tokens.find((b) => b.owner === owner && b.mint === mint)?.decimals ??
    null;
  return {
    ok: true,
    token_delta: sumFor(tx.post_tokens, owner, mint) - sumFor(tx.pre_tokens, owner, mint),
    lamport_delta: post - pre,
    fee: tx.fee,
    decimals,
  };
}
