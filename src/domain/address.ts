import { isAddress } from "@solana/kit";

/**
 * The one address rule of the watchlist and the portfolio (issue 12): a base58 Solana address that
 * decodes to 32 bytes, taken exactly as given. Surrounding whitespace is refused everywhere rather than
 * trimmed somewhere, so an address means the same thing on every route (a pasted " addr" is an error the
 * operator sees, never a silently different key).
 */
export function addressProblem(s: string): string | null {
  if (s !== s.trim()) return "must not have surrounding whitespace";
  if (!isAddress(s)) return "must be a base58 Solana address that decodes to 32 bytes";
  return null;
}
