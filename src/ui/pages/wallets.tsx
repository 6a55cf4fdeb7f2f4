import type { WalletRow } from "../../db/schema";
import { short, time } from "../format";

export function WalletsPage(props: { rows: WalletRow[] }) {
  if (props.rows.length === 0) return <p class="muted">The watchlist is empty.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Label</th>
            <th>Address</th>
            <th>Mode</th>
            <th>Active</th>
            <th>Helius sync</th>
            <th>Last signal</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((w) => (
            <tr>
              <td>{w.label ?? "—"}</td>
              <td title={w.address}>{short(w.address)}</td>
              <td>{w.mode}</td>
              <td>{w.is_active ? "yes" : "no"}</td>
              <td title={w.helius_sync_error ?? ""}>
                {w.helius_sync_status}
                {w.helius_synced_at ? ` (${time(w.helius_synced_at)})` : ""}
              </td>
              <td>{time(w.last_signal_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
