import { pct, pnlClass, short, Time, usd } from "../format";
import { Csrf } from "../layout";
import type { SortDir, WatchlistRow, WatchlistSort } from "../wallet-data";

const FieldError = (props: { id: string; msg?: string }) =>
  props.msg ? (
    <span class="field-error" id={props.id}>
      {props.msg}
    </span>
  ) : null;

/** Add a wallet: the API's own validation; its errors are shown next to the field they name. */
function AddWalletForm(props: { csrf: string; errors: Record<string, string>; values: Record<string, string> }) {
  const { errors, values } = props;
  return (
    <form method="post" action="/wallets" class="add-wallet">
      <Csrf token={props.csrf} />
      <label>
        Address{" "}
        <input type="text" name="address" required value={values.address ?? ""} aria-describedby="address-error" />
      </label>
      <FieldError id="address-error" msg={errors.address} />{" "}
      <label>
        Label <input type="text" name="label" maxlength={100} value={values.label ?? ""} />
      </label>
      <FieldError id="label-error" msg={errors.label} />{" "}
      <label>
        Mode{" "}
        <select name="mode">
          <option value="simulation">simulation</option>
          <option value="live" selected={values.mode === "live"}>
            live
          </option>
        </select>
      </label>
      <FieldError id="mode-error" msg={errors.mode} /> <button type="submit">Add wallet</button>
      <FieldError id="form-error" msg={errors.form ?? errors.body} />
    </form>
  );
}

/** A column header that sorts the watchlist by it (a link: works without JavaScript); again flips the order. */
function SortTh(props: { col: WatchlistSort; label: string; sort: WatchlistSort | null; dir: SortDir; num?: boolean }) {
  const on = props.sort === props.col;
  const dir = on && props.dir === "desc" ? "asc" : "desc";
  return (
    <th class={props.num ? "num" : ""} aria-sort={on ? (props.dir === "asc" ? "ascending" : "descending") : undefined}>
      <a href={`/wallets?sort=${props.col}&dir=${dir}`} class={on ? "sorted" : ""}>
        {props.label}
        {on ? (props.dir === "asc" ? " ▲" : " ▼") : ""}
      </a>
    </th>
  );
}

export function WalletsPage(props: {
  rows: WatchlistRow[];
  csrf: string;
  errors?: Record<string, string>;
  values?: Record<string, string>;
  sort?: WatchlistSort | null;
  dir?: SortDir;
}) {
  const sort = props.sort ?? null;
  const dir = props.dir ?? "desc";
  const th = (col: WatchlistSort, label: string, num = false) => (
    <SortTh col={col} label={label} sort={sort} dir={dir} num={num} />
  );
  return (
    <>
      <AddWalletForm csrf={props.csrf} errors={props.errors ?? {}} values={props.values ?? {}} />
      {props.rows.length === 0 ? (
        <p class="muted">The watchlist is empty.</p>
      ) : (
        <div class="scroll">
          <table id="watchlist">
            <thead>
              <tr>
                {th("label", "Label")}
                <th>Address</th>
                {th("mode", "Mode")}
                {th("active", "Active")}
                <th>Strategy</th>
                {th("trades", "Trades", true)}
                {th("win_rate", "Win rate", true)}
                {th("pnl", "PnL (all)", true)}
                {th("streak", "Streak", true)}
                <th>Helius sync</th>
                {th("last_signal", "Last signal")}
                <th />
              </tr>
            </thead>
            <tbody>
              {props.rows.map(({ wallet: w, strategy, perf }) => (
                <tr data-wallet={String(w.id)}>
                  <td>
                    <a href={`/wallets/${w.id}`}>{w.label ?? "—"}</a>
                  </td>
                  <td title={w.address}>{short(w.address)}</td>
                  <td>{w.mode}</td>
                  <td>{w.is_active ? "yes" : "paused"}</td>
                  <td>{strategy ?? "—"}</td>
                  <td class="num">{perf ? perf.closed_position_count : "—"}</td>
                  <td class="num">{pct(perf?.win_rate_percent)}</td>
                  <td class={`num ${pnlClass(perf?.total_pnl_usd)}`}>{perf ? usd(perf.total_pnl_usd) : "—"}</td>
                  <td class="num">{perf ? perf.current_streak : "—"}</td>
                  <td title={w.helius_sync_error ?? ""}>
                    {w.helius_sync_status}
                    {w.helius_synced_at ? (
                      <>
                        {" ("}
                        <Time iso={w.helius_synced_at} />)
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                  <td>
                    <Time iso={w.last_signal_at} />
                  </td>
                  <td>
                    <a href={`/wallets/${w.id}`}>Edit</a>{" "}
                    <form class="inline" method="post" action={`/wallets/${w.id}/active`}>
                      <Csrf token={props.csrf} />
                      <input type="hidden" name="active" value={w.is_active ? "false" : "true"} />
                      <button type="submit">{w.is_active ? "Pause" : "Resume"}</button>
                    </form>
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
