import type { ChartSpec, OpenPositionView, OverviewCardsData, OverviewData } from "../data";
import { Fields } from "../fields";
import { pnlClass, Time, usd } from "../format";
import { LiveOpenPositions } from "./positions";

/** The summary cards, served alone by /partials/overview-cards (each card names its value in data-card). */
export function OverviewCards(props: { cards: OverviewCardsData }) {
  const { counts, pnl } = props.cards;
  return (
    <>
      <div class="card" data-card="active_wallets">
        Active wallets<b>{counts.active_wallets}</b>
      </div>
      <div class="card" data-card="open_positions">
        Open positions<b>{counts.open_positions}</b>
      </div>
      <div class="card" data-card="signals_24h">
        Signals 24 h<b>{counts.signals_24h}</b>
        <span class="muted">{counts.filtered_24h} filtered</span>
      </div>
      <div class="card" data-card="pending_orders">
        Pending orders<b>{counts.pending_orders}</b>
        <span class="muted">{counts.in_flight_orders} in flight</span>
      </div>
      <div class="card" data-card="realized_pnl">
        Realized PnL<b class={pnlClass(pnl.realized)}>{usd(pnl.realized)}</b>
      </div>
      <div class="card" data-card="unrealized_pnl">
        Unrealized PnL<b class={pnlClass(pnl.unrealized)}>{usd(pnl.unrealized)}</b>
      </div>
      <div class="card" data-card="total_pnl">
        Total PnL<b class={pnlClass(pnl.total)}>{usd(pnl.total)}</b>
      </div>
    </>
  );
}

/** The cards refresh themselves every 5 s (htmx), like the open positions under them. */
function LiveOverviewCards(props: { cards: OverviewCardsData }) {
  return (
    <div class="cards" id="overview-cards" hx-get="/partials/overview-cards" hx-trigger="every 5s" hx-swap="innerHTML">
      <OverviewCards cards={props.cards} />
    </div>
  );
}

export function OverviewPage(props: {
  data: OverviewData;
  charts: { equity: ChartSpec; daily: ChartSpec };
  open: OpenPositionView[];
}) {
  const { jobs, helius } = props.data;
  return (
    <>
      <LiveOverviewCards cards={props.data} />

      <div class="charts">
        <div class="chart">
          <h3>Equity curve (cumulative realized PnL)</h3>
          <div id="equity-chart" data-chart={JSON.stringify(props.charts.equity)} data-empty="No closed trade yet." />
        </div>
        <div class="chart">
          <h3>Daily realized PnL</h3>
          <div id="daily-chart" data-chart={JSON.stringify(props.charts.daily)} data-empty="No closed trade yet." />
        </div>
      </div>

      <h2>Open positions (live)</h2>
      <LiveOpenPositions rows={props.open} />

      <h2>Jobs</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Job</th>
              <th>Last status</th>
              <th>Started</th>
              <th>Finished</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map(({ job, run }) => (
              <tr>
                <td>{job}</td>
                <td>{run?.status ?? "never ran"}</td>
                <td>
                  <Time iso={run?.started_at} />
                </td>
                <td>
                  <Time iso={run?.finished_at} />
                </td>
                <td class="wrap">{run?.detail ? <Fields data={run.detail} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Helius address sync</h2>
      <div class="scroll">
        <table>
          <tbody>
            <tr>
              <th>Webhook</th>
              <td>{helius.webhook_id ?? "not created yet"}</td>
            </tr>
            <tr>
              <th>Last sync</th>
              <td>
                <Time iso={helius.last_sync_at} />
              </td>
            </tr>
            <tr>
              <th>Status</th>
              <td>{helius.last_sync_status ?? "—"}</td>
            </tr>
            <tr>
              <th>Error</th>
              <td>{helius.last_sync_error ?? "—"}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </>
  );
}
