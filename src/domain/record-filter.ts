// What the WalletActor decides when it records a delivery, before any I/O: how the stored payload parses, which
// mint chain the row runs on, and whether the signal is filtered at once.
import { type Classification, classify } from "./classify";
import { type HeliusTx, HeliusTxSchema } from "./helius-tx";
import { entryTimeVerdict, type FilterReason } from "./signal-filters";

/**
 * The stored payload's parse, shared by the row's chain key (inside the ingest RPC), its record and its
 * decision: the same immutable text was JSON-parsed and zod-parsed three times per BUY (docs/perf-ingest.md).
 * Keyed by the text itself, so a hit is the parse of exactly that text; the last few only (bounded memory). A
 * payload that is not JSON throws as before and is not kept.
 */
const PARSED = new Map<string, ReturnType<typeof HeliusTxSchema.safeParse>>();
const PARSED_MAX = 64;
export function parsePayload(payload: string): ReturnType<typeof HeliusTxSchema.safeParse> {
  const hit = PARSED.get(payload);
  if (hit) return hit;
  const parsed = HeliusTxSchema.safeParse(JSON.parse(payload));
  if (PARSED.size >= PARSED_MAX) PARSED.delete(PARSED.keys().next().value as string);
  PARSED.set(payload, parsed);
  return parsed;
}

/** The transaction of a row already recorded as a trade and its classification; throws when it does not parse. */
export function classifyPayload(payload: string, address: string): { tx: HeliusTx; c: Classification } {
  const parsed = parsePayload(payload);
  if (!parsed.success) throw parsed.error;
  const tx = parsed.data;
  return { tx, c: classify(tx, address) };
}

/** The chain a row runs on: its mint's, or its own when it names none (not a trade, unreadable). */
export function chainKey(signature: string, payload: string, address: string): string {
  try {
    const parsed = parsePayload(payload);
    const mint = parsed.success ? classify(parsed.data, address).token_mint : null;
    if (mint) return `mint:${mint}`;
  } catch {
    // An unclassifiable row (its processing parks it): no mint to order it with.
  }
  return `tx:${signature}`;
}

/**
 * The reason a delivery is filtered as soon as it is recorded, or null when it goes on to its decision.
 * An inactive leader is not copied any more, but its exits still protect what was copied from it
 * (DESIGN §4: exits always run): a SELL goes on to the mirror exit and is filtered only without a position.
 */
export function recordFilter(
  tx: HeliusTx | null,
  c: Classification | null,
  walletActive: boolean,
  receivedAtMs: number,
  maxSignalAgeSeconds: number,
): FilterReason | null {
  if (!c) return "not_a_trade";
  if (c.signal_type === "other") return c.other_reason;
  if (!walletActive && c.signal_type === "buy") return "inactive_wallet";
  if (c.signal_type === "buy" && tx) {
    const age = entryTimeVerdict(tx.timestamp, receivedAtMs, maxSignalAgeSeconds);
    if (age !== "ok") return age;
  }
  return null;
}

/** The stored `filter_detail`: the reason's text and the numbers it was decided on, as they were then. */
export function filterDetail(detail: string | undefined, numbers: Record<string, unknown> | undefined): string | null {
  if (detail === undefined && numbers === undefined) return null;
  return JSON.stringify({ ...(detail === undefined ? {} : { detail }), ...numbers });
}
