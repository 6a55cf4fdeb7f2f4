// The signal values the WalletActor stores for a delivery when it records it (its draft, or final when filtered
// at once); they reach D1 once, behind the decision (signal-outbox.ts).
import { type Classification, withSolPrice } from "../domain/classify";
import type { HeliusTx } from "../domain/helius-tx";
import { filterDetail } from "../domain/record-filter";
import type { FilterReason } from "../domain/signal-filters";
import { nowIso } from "../lib/time";
import type { Row } from "./wallet-inbox";

export function recordedSignal(
  row: Row,
  address: string,
  tx: HeliusTx | null,
  c: Classification | null,
  filter: FilterReason | null,
  maxSignalAgeSeconds: number,
  now: number,
) {
  const receivedIso = nowIso(row.received_at_ms);
  const priced = c ? withSolPrice(c, null) : null;
  return {
    transaction_signature: row.signature,
    wallet_id: row.wallet_id,
    wallet_address: address,
    signal_type: c?.signal_type ?? "other",
    token_mint: c?.token_mint ?? null,
    quote_mint: c?.quote_mint ?? null,
    token_amount: c?.token_amount ?? null,
    token_decimals: c?.token_decimals ?? null,
    quote_amount: c?.quote_amount ?? null,
    sol_amount: priced?.sol_amount ?? null,
    usd_amount: priced?.usd_amount ?? null,
    price_sol: priced?.price_sol ?? null,
    price_usd: priced?.price_usd ?? null,
    helius_type: tx?.type ?? null,
    helius_source: tx?.source ?? null,
    slot: tx?.slot ?? null,
    block_time: tx ? nowIso(tx.timestamp * 1000) : null,
    filtered: filter !== null,
    filter_reason: filter,
    filter_detail:
      tx && (filter === "stale_signal" || filter === "invalid_timestamp")
        ? filterDetail(undefined, {
            signal_age_seconds: row.received_at_ms / 1000 - tx.timestamp,
            max_signal_age_seconds: maxSignalAgeSeconds,
          })
        : null,
    webhook_received_at: receivedIso,
    processed_at: filter ? nowIso(now) : null,
    processing_duration_ms: filter ? now - row.received_at_ms : null,
    raw_payload: row.payload,
  };
}
