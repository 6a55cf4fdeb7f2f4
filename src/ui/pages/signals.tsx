import type { FilterLimits } from "../../domain/filter-words";
import { filterInWords } from "../../domain/filter-words";
import { FILTER_REASONS } from "../../domain/signal-filters";
import type { SignalFilters, SignalRow } from "../data";
import { short, sol, Time } from "../format";

/** A copied BUY opened a position; a SELL with an order mirrored the leader's exit (not a copy). */
function outcome(s: SignalRow, cfg: FilterLimits): string {
  if (s.filtered) return `not copied: ${filterInWords(s, cfg)}`;
  if (s.order_id) return s.signal_type === "sell" ? "mirrored (exit of the copied position)" : "copied";
  return s.processed_at ? "not copied" : "processing";
}

const ms = (from: string | null, to: string | null) => {
  if (!from || !to) return null;
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) ? d : null;
};
const secs = (d: number | null) =>
  d == null ? "—" : d >= 10_000 ? `${(d / 1000).toFixed(0)} s` : `${(d / 1000).toFixed(2)} s`;

/** Copy latency: the leader's block time → our webhook → the decision → the fill. */
function Latency(props: { s: SignalRow }) {
  const { s } = props;
  return (
    <span title="block → webhook · webhook → decision · decision → fill">
      {secs(ms(s.block_time, s.webhook_received_at))} · {secs(ms(s.webhook_received_at, s.processed_at))} ·{" "}
      {secs(ms(s.processed_at, s.filled_at))}
    </span>
  );
}

function Filters(props: { f: SignalFilters }) {
  const { f } = props;
  return (
    <form method="get" action="/signals" class="filters">
      <label>
        Wallet <input type="text" name="wallet" value={f.wallet ?? ""} placeholder="address or label" />
      </label>{" "}
      <label>
        Side{" "}
        <select name="side">
          <option value="">any</option>
          {(["buy", "sell", "other"] as const).map((v) => (
            <option value={v} selected={f.side === v}>
              {v}
            </option>
          ))}
        </select>
      </label>{" "}
      <label>
        Outcome{" "}
        <select name="outcome">
          <option value="">any</option>
          <option value="copied" selected={f.outcome === "copied"}>
            copied / mirrored
          </option>
          <option value="filtered" selected={f.outcome === "filtered"}>
            filtered
          </option>
        </select>
      </label>{" "}
      <label>
        Reason{" "}
        <select name="reason">
          <option value="">any</option>
          {FILTER_REASONS.map((r) => (
            <option value={r} selected={f.reason === r}>
              {r}
            </option>
          ))}
        </select>
      </label>{" "}
      <label>
        Last{" "}
        <select name="hours">
          <option value="">all time</option>
          {[1, 24, 168, 720].map((h) => (
            <option value={String(h)} selected={f.hours === h}>
              {h < 24 ? `${h} h` : `${h / 24} d`}
            </option>
          ))}
        </select>
      </label>{" "}
      <button type="submit">Filter</button> <a href="/signals">Clear</a>
    </form>
  );
}

export function SignalsPage(props: { rows: SignalRow[]; filters: SignalFilters; limits: FilterLimits }) {
  return (
    <>
      <Filters f={props.filters} />
      {props.rows.length === 0 ? (
        <p class="muted">No signal matches.</p>
      ) : (
        <div class="scroll">
          <table id="signals">
            <thead>
              <tr>
                <th>Time</th>
                <th>Wallet</th>
                <th>Type</th>
                <th>Token</th>
                <th class="num">Size</th>
                <th>Outcome</th>
                <th>Latency</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((s) => (
                <tr data-signal={String(s.id)} data-token={s.token_mint ?? ""}>
                  <td>
                    <Time iso={s.created_at} />
                  </td>
                  <td title={s.wallet_address}>
                    {s.wallet_label ? `${s.wallet_label} (${short(s.wallet_address)})` : short(s.wallet_address)}
                  </td>
                  <td>{s.signal_type}</td>
                  <td title={s.token_mint ?? ""}>{short(s.token_mint)}</td>
                  <td class="num">{sol(s.sol_amount)}</td>
                  <td class={s.filtered ? "muted" : ""} data-outcome={s.filtered ? "filtered" : "other"}>
                    {outcome(s, props.limits)}
                  </td>
                  <td>
                    <Latency s={s} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
