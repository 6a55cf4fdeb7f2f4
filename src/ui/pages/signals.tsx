import type { SignalRow } from "../data";
import { short, sol, time } from "../format";

function outcome(s: SignalRow): string {
  if (s.filtered) return `filtered: ${s.filter_reason ?? "no reason recorded"}`;
  if (s.order_id) return "copied";
  return s.processed_at ? "not copied" : "processing";
}

export function SignalsPage(props: { rows: SignalRow[] }) {
  if (props.rows.length === 0) return <p class="muted">No signals yet.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Wallet</th>
            <th>Type</th>
            <th>Token</th>
            <th class="num">Size</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((s) => (
            <tr>
              <td>{time(s.created_at)}</td>
              <td title={s.wallet_address}>
                {s.wallet_label ? `${s.wallet_label} (${short(s.wallet_address)})` : short(s.wallet_address)}
              </td>
              <td>{s.signal_type}</td>
              <td title={s.token_mint ?? ""}>{short(s.token_mint)}</td>
              <td class="num">{sol(s.sol_amount)}</td>
              <td class={s.filtered ? "muted" : ""}>{outcome(s)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
