import type { OpenPositionView } from "../data";
import { amountLeftPercent, pct, pnlClass, price, Time, usd } from "../format";
import { IdentityCells } from "./identity-cells";

/** The exit levels in force, in words with their prices. */
export function LevelsText(props: { levels: OpenPositionView["levels"] }) {
  const l = props.levels;
  if (!l) return <span class="muted">—</span>;
  const parts: string[] = [];
  parts.push(l.stop_loss_usd == null ? "no stop-loss" : `stop ${price(l.stop_loss_usd)}`);
  if (l.trailing)
    parts.push(
      l.trailing.armed
        ? `trailing armed, stop ${price(l.trailing.stop_usd)}`
        : `trailing not armed (arms at ${price(l.trailing.activation_usd)})`,
    );
  if (l.next_scaling)
    parts.push(
      `next scale-out ${l.next_scaling.multiple}× at ${price(l.next_scaling.price_usd)} (${l.next_scaling.sell_percent} %)`,
    );
  if (l.take_profit)
    parts.push(`take-profit ≥ ${l.take_profit.min_profit_percent} % at ${price(l.take_profit.price_usd)}`);
  return (
    <span>
      {parts.join(" · ")}
      {l.time_exit_at_ms != null ? (
        <>
          {" · time exit "}
          <Time iso={new Date(l.time_exit_at_ms).toISOString()} />
        </>
      ) : null}
    </span>
  );
}

/**
 * The open positions table. Served whole by /partials/open-positions, which the overview and the
 * positions page poll every 5 s with htmx (hx-trigger="every 5s"): live PnL without reloading.
 */
export function OpenPositionsTable(props: { rows: OpenPositionView[] }) {
  if (props.rows.length === 0) return <p class="muted">No open positions.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Token</th>
            <th>Leader</th>
            <th>Mode</th>
            <th>Status</th>
            <th class="num">Entry</th>
            <th class="num">Current</th>
            <th class="num">Left</th>
            <th class="num">Unrealized</th>
            <th class="num">Realized</th>
            <th class="num">Total</th>
            <th class="num">PnL %</th>
            <th>Exit levels</th>
            <th>Opened</th>
            <th>Exit</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p) => (
            <tr data-position={p.id}>
              <IdentityCells p={p} />
              <td>{p.status}</td>
              <td class="num">{price(p.entry_price_usd)}</td>
              <td class="num">{price(p.current_price_usd)}</td>
              <td class="num">{pct(amountLeftPercent(p.current_amount, p.entry_amount))}</td>
              <td class={`num ${pnlClass(p.unrealized_pnl_usd)}`}>{usd(p.unrealized_pnl_usd)}</td>
              <td class={`num ${pnlClass(p.realized_pnl_usd)}`}>{usd(p.realized_pnl_usd)}</td>
              <td class={`num ${pnlClass(p.total_pnl_usd)}`}>{usd(p.total_pnl_usd)}</td>
              <td class={`num ${pnlClass(p.pnl_percent)}`}>{pct(p.pnl_percent)}</td>
              <td>
                <LevelsText levels={p.levels} />
              </td>
              <td>
                <Time iso={p.opened_at} />
              </td>
              <td>
                <a href={`/positions/${encodeURIComponent(p.id)}`}>Details</a>{" "}
                {p.status === "open" ? <ExitRequestForm id={p.id} /> : <span class="muted">exit queued</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Step 1 of a manual exit: choose the percentage; the next page asks to confirm (and carries the nonce). */
export function ExitRequestForm(props: { id: string; percent?: number }) {
  return (
    <form class="inline" method="get" action={`/positions/${encodeURIComponent(props.id)}/exit`}>
      <input
        type="number"
        name="percent"
        min={1}
        max={100}
        step="any"
        required
        value={String(props.percent ?? 50)}
        aria-label="percent to sell"
      />{" "}
      <button type="submit">Sell % …</button>
    </form>
  );
}
