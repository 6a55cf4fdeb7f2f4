import type { ClosedPositionView, OpenPositionView } from "../data";
import { pct, pnlClass, price, Time, usd } from "../format";
import { IdentityCells } from "./identity-cells";
import { OpenPositionsTable } from "./open-positions";

/** The open table refreshes itself every 5 s (htmx); a panic sell-all sits under it. */
export function LiveOpenPositions(props: { rows: OpenPositionView[] }) {
  return (
    <div id="open-positions" hx-get="/partials/open-positions" hx-trigger="every 5s" hx-swap="innerHTML">
      <OpenPositionsTable rows={props.rows} />
    </div>
  );
}

export function PositionsPage(props: { open: OpenPositionView[]; closed: ClosedPositionView[] }) {
  const { open, closed } = props;
  return (
    <>
      <h2>Open ({open.length})</h2>
      <LiveOpenPositions rows={open} />
      <p>
        <a href="/positions/sell-all">Sell all open positions (panic) …</a>
      </p>

      <h2>Recently closed (latest 50)</h2>
      {closed.length === 0 ? (
        <p class="muted">No closed positions.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Token</th>
                <th>Leader</th>
                <th>Mode</th>
                <th>Exit reason</th>
                <th class="num">Entry</th>
                <th class="num">Avg exit</th>
                <th class="num">Total PnL</th>
                <th class="num">PnL %</th>
                <th>Opened</th>
                <th>Closed</th>
              </tr>
            </thead>
            <tbody>
              {closed.map((p) => (
                <tr>
                  <IdentityCells p={p} />
                  <td>
                    <a href={`/positions/${encodeURIComponent(p.id)}`}>{p.exit_reason ?? "—"}</a>
                  </td>
                  <td class="num">{price(p.entry_price_usd)}</td>
                  <td class="num">{price(p.avg_exit_price_usd)}</td>
                  <td class={`num ${pnlClass(p.total_pnl_usd)}`}>{usd(p.total_pnl_usd)}</td>
                  <td class={`num ${pnlClass(p.pnl_percent)}`}>{pct(p.pnl_percent)}</td>
                  <td>
                    <Time iso={p.opened_at} />
                  </td>
                  <td>
                    <Time iso={p.closed_at} />
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
