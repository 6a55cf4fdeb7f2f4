import type { OverviewData } from "../data";
import { pnlClass, time, usd } from "../format";
import { Csrf } from "../layout";

export function OverviewPage(props: { data: OverviewData; csrf: string }) {
  const { breaker, counts, pnl, jobs, helius } = props.data;
  return (
    <>
      <section class={breaker.open ? "breaker open" : "breaker closed"}>
        <h2>Circuit breaker: {breaker.open ? "OPEN — new entries are stopped" : "closed — trading normally"}</h2>
        <p>
          Since {time(breaker.since)} · trigger {breaker.trigger ?? "—"} · reason {breaker.reason ?? "—"}
          {breaker.open ? ` · new entries blocked so far: ${breaker.new_positions_blocked ?? 0}` : ""}
        </p>
        {breaker.open ? (
          <form method="post" action="/circuit-breaker/resume">
            <Csrf token={props.csrf} />
            <input type="text" name="reason" maxlength={500} placeholder="reason (optional)" />{" "}
            <button type="submit">Resume</button>
          </form>
        ) : (
          <form method="post" action="/circuit-breaker/trip">
            <Csrf token={props.csrf} />
            <input type="text" name="reason" required maxlength={500} placeholder="reason (required)" />{" "}
            <button type="submit">Stop new entries</button>
          </form>
        )}
      </section>

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

      <h2>Jobs</h2>
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
              <td>{time(run?.started_at)}</td>
              <td>{time(run?.finished_at)}</td>
              <td class="muted">{run?.detail ? run.detail.slice(0, 160) : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Helius address sync</h2>
      <table>
        <tbody>
          <tr>
            <th>Webhook</th>
            <td>{helius.webhook_id ?? "not created yet"}</td>
          </tr>
          <tr>
            <th>Last sync</th>
            <td>{time(helius.last_sync_at)}</td>
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
    </>
  );
}
