import { PERFORMANCE_PERIODS } from "../../db/schema";
import { pct, pnlClass, short, Time, usd } from "../format";
import { Csrf } from "../layout";
import type { PerformanceView, WalletDetail } from "../wallet-data";
import { FieldError } from "./field-error";

const num = (n: number | null | undefined, digits = 2) =>
  n == null || !Number.isFinite(n) ? "—" : String(Number(n.toFixed(digits)));

/** The performance rows shown per window; each reads one field of the performance read model. */
const PERF_LINES: {
  label: string;
  cell: (p: PerformanceView) => string;
  pnl?: (p: PerformanceView) => number | null;
}[] = [
  { label: "Closed trades", cell: (p) => String(p.closed_position_count) },
  { label: "Open positions", cell: (p) => String(p.open_position_count) },
  { label: "Wins / losses", cell: (p) => `${p.wins} / ${p.losses}` },
  { label: "Win rate", cell: (p) => pct(p.win_rate_percent) },
  { label: "Total PnL", cell: (p) => usd(p.total_pnl_usd), pnl: (p) => p.total_pnl_usd },
  { label: "Total PnL %", cell: (p) => pct(p.total_pnl_percent), pnl: (p) => p.total_pnl_percent },
  { label: "Average PnL", cell: (p) => usd(p.avg_pnl_usd), pnl: (p) => p.avg_pnl_usd },
  { label: "Profit factor", cell: (p) => num(p.profit_factor) },
  { label: "Best / worst trade", cell: (p) => `${usd(p.best_trade_usd)} / ${usd(p.worst_trade_usd)}` },
  { label: "Longest win streak", cell: (p) => String(p.longest_win_streak) },
  { label: "Longest loss streak", cell: (p) => String(p.longest_loss_streak) },
  { label: "Current streak", cell: (p) => (p.current_streak > 0 ? `+${p.current_streak}` : String(p.current_streak)) },
  { label: "Signals (filtered)", cell: (p) => `${p.signal_count} (${p.filtered_signal_count})` },
];

function PerformanceTable(props: { mode: string; rows: (PerformanceView | null)[] }) {
  return (
    <div class="scroll">
      <table class="perf-windows" id={`perf-${props.mode}`}>
        <thead>
          <tr>
            <th>{props.mode}</th>
            {PERFORMANCE_PERIODS.map((p) => (
              <th class="num">{p}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {PERF_LINES.map((line) => (
            <tr>
              <td>{line.label}</td>
              {props.rows.map((r) => (
                <td class={`num ${r && line.pnl ? pnlClass(line.pnl(r)) : ""}`}>{r ? line.cell(r) : "—"}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One watched wallet: its edit form (label, exit strategy, mode, active) posted to PATCH /api/v1/wallets
 * (the API's rules; a refused switch to live shows the live guardrail's reason next to the mode field),
 * its performance per window and its PnL chart.
 */
export function WalletEditPage(props: {
  d: WalletDetail;
  csrf: string;
  errors?: Record<string, string>;
  values?: Record<string, string>;
}) {
  const { wallet: w, strategies, performance, chart } = props.d;
  const errors = props.errors ?? {};
  const v = {
    label: w.label ?? "",
    exit_strategy_id: String(w.exit_strategy_id ?? ""),
    mode: w.mode,
    is_active: String(w.is_active),
    ...props.values,
  };
  const cls = (f: string) => (errors[f] ? "invalid" : "");
  return (
    <>
      <dl class="kv">
        <dt>Address</dt>
        <dd title={w.address}>
          <code>{short(w.address)}</code>
        </dd>
        <dt>Helius sync</dt>
        <dd>
          {w.helius_sync_status} <Time iso={w.helius_synced_at} />
        </dd>
        <dt>Last signal</dt>
        <dd>
          <Time iso={w.last_signal_at} />
        </dd>
      </dl>

      <form method="post" action={`/wallets/${w.id}`} class="edit-form wallet-edit">
        <Csrf token={props.csrf} />
        {/* The version this form was rendered from: a save after another change is refused (409), not applied. */}
        <input type="hidden" name="_version" value={w.updated_at} />
        <FieldError id="form-error" msg={errors.form ?? errors.body} />
        <div class={cls("label")}>
          <label>
            Label
            <input type="text" name="label" maxlength={100} value={v.label} aria-describedby="label-error" />
          </label>
          <FieldError id="label-error" msg={errors.label} />
        </div>
        <div class={cls("exit_strategy_id")}>
          <label>
            Exit strategy
            <select name="exit_strategy_id" aria-describedby="exit_strategy_id-error">
              {strategies.map((s) => (
                <option value={String(s.id)} selected={String(s.id) === v.exit_strategy_id}>
                  {s.name}
                  {s.is_default ? " (default)" : ""}
                </option>
              ))}
            </select>
          </label>
          <FieldError id="exit_strategy_id-error" msg={errors.exit_strategy_id} />
        </div>
        <div class={cls("mode")}>
          <label>
            Mode <span class="muted">live needs the live guardrail's track record and the trading key</span>
            <select name="mode" aria-describedby="mode-error">
              <option value="simulation" selected={v.mode === "simulation"}>
                simulation
              </option>
              <option value="live" selected={v.mode === "live"}>
                live
              </option>
            </select>
          </label>
          <FieldError id="mode-error" msg={errors.mode} />
        </div>
        <div class={cls("is_active")}>
          <label>
            Copying
            <select name="is_active" aria-describedby="is_active-error">
              <option value="true" selected={v.is_active === "true"}>
                active
              </option>
              <option value="false" selected={v.is_active === "false"}>
                paused
              </option>
            </select>
          </label>
          <FieldError id="is_active-error" msg={errors.is_active} />
        </div>
        <div class="actions">
          <button type="submit">Save wallet</button> <a href="/wallets">Back to the watchlist</a>
        </div>
      </form>

      <h2>Performance</h2>
      {performance.length === 0 ? (
        <p class="muted">Not computed yet (daily at 00:00 UTC, or Recompute now).</p>
      ) : (
        performance.map((m) => <PerformanceTable mode={m.mode} rows={m.rows} />)
      )}
      <form method="post" action={`/wallets/${w.id}/performance`} class="inline">
        <Csrf token={props.csrf} />
        <button type="submit">Recompute now</button>
      </form>
      <div class="charts">
        <div class="chart">
          <h3>Realized PnL (cumulative, USD)</h3>
          <div id="wallet-pnl-chart" data-chart={JSON.stringify(chart)} data-empty="No closed trade yet." />
        </div>
      </div>
    </>
  );
}
