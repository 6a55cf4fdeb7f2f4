import { isAddress } from "@solana/kit";

/**
 * The one address rule of the watchlist and the portfolio (issue 12): a base58 Solana address that
 * decodes to 32 bytes, taken exactly as given. Surrounding whitespace is refused everywhere rather than
 * trimmed somewhere, so an address means the same thing on every route (a pasted " addr" is an error the
 * operator sees, never a silently different key).
 */
const MEMO_MAX = 4096;
const memo = new Map<string, boolean>();

/**
 * `isAddress` of @solana/kit, remembered for the last few thousand strings. A Helius payload names the same
 * accounts over and over (the leader, program ids, wSOL, the mint) and base58-decoding each of them on every
 * delivery was a measurable share of the webhook's CPU. The answer for a string never changes, so the memo
 * can only be wrong by being forgotten; it is dropped whole when full rather than tracking recency.
 */
export function isBase58Address(s: string): boolean {
  let ok = memo.get(s);
  if (ok === undefined) {
    ok = isAddress(s);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(s, ok);
  }
  return ok;
}

export function addressProblem(s: string): string | null {
  if (s !== s.trim()) return "must not have surrounding whitespace";
  if (!isBase58Address(s)) return "must be a base58 Solana address that decodes to 32 bytes";
  return null;
}
