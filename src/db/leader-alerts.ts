import { nowIso } from "../lib/time";
import { raiseAlert } from "./alerts";

/** Pauses older than this are not alerted any more (the monitor's sweep looks back this far). */
export const LEADER_PAUSE_LOOKBACK_MS = 24 * 3_600_000;

/**
 * "Leader paused" (issue 12): one event alert per pause (subject `<address>@<deactivated_at>`), for every
 * wallet deactivated recently that has none yet. Called right after the wallets API changes a wallet and by
 * the 5-minute monitor, which also catches pauses from the dashboard, a config import or a write whose
 * alert was lost. Idempotent: the subject of a pause that already has its alert is skipped in SQL.
 */
export async function raisePausedLeaders(d1: D1Database, now = Date.now()) {
  const { results } = await d1
    .prepare(
      `SELECT w.address, w.deactivated_at,
         (SELECT COUNT(*) FROM positions p WHERE p.source_wallet_address = w.address AND p.status != 'closed') AS open
       FROM wallets w
       WHERE w.is_active = 0 AND w.deactivated_at IS NOT NULL AND w.deactivated_at >= ?1
         AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'leader_paused' AND a.subject = w.address || '@' || w.deactivated_at)`,
    )
    .bind(nowIso(now - LEADER_PAUSE_LOOKBACK_MS))
    .all<{ address: string; deactivated_at: string; open: number }>();
  let raised = 0;
  for (const w of results) {
    const r = await raiseAlert(
      d1,
      {
        kind: "leader_paused",
        subject: `${w.address}@${w.deactivated_at}`,
        message: `leader ${w.address} paused at ${w.deactivated_at}: its buys are no longer copied${
          w.open ? `; ${w.open} open position(s) keep their exits` : ""
        }`,
        detail: { address: w.address, deactivated_at: w.deactivated_at, open_positions: w.open },
      },
      now,
    );
    if (r?.created) raised++;
  }
  return raised;
}
