import type { ChartSpec, OpenPositionView, OverviewData } from "../data";
import { Fields } from "../fields";
import { pnlClass, Time, usd } from "../format";
import { LiveOpenPositions } from "./positions";

export function OverviewPage(props: {
  data: OverviewData;
  charts: { equity: ChartSpec; daily: ChartSpec };
  open: OpenPositionView[];
}) {
  const { counts, pnl, jobs, helius } = props.data;
  return (
    <>
      <div class="cards">
        <div class="card">
          Active wallets<b>{counts.active_wallets}</b>
        </div>
        <div class="card">
          Open positions<b>{counts.open_positions}</b>
        </div>
        <div class="card">
          Signals 24 h<b>{counts.signals_24h}</b>
          <span class="muted">{counts.filtered_24h} filtered</span>
        </div>
        <div class="card">
          Pending orders<b>{counts.pending_orders}</b>
          <span class="muted">{counts.in_flight_orders} in flight</span>
        </div>
        <div class="card">
          Realized PnL<b class={pnlClass(pnl.realized)}>{usd(pnl.realized)}</b>
        </div>
        <div class="card">
          Unrealized PnL<b class={pnlClass(pnl.unrealized)}>{usd(pnl.unrealized)}</b>
        </div>
        <div class="card">
          Total PnL<b class={pnlClass(pnl.total)}>{usd(pnl.total)}</b>
        </div>
      </div>

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
