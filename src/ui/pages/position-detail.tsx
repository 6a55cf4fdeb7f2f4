import type { PositionDetail } from "../data";
import { amountLeftPercent, pct, pnlClass, price, short, Time, usd } from "../format";
import { Csrf } from "../layout";

/** A live exit retried with no route (the PositionActor's `stuck_exit`, issue 11). */
export interface StuckExitMark {
  order_id: string;
  code: string | null;
  since: string;
}

import { ExitRequestForm, LevelsText } from "./open-positions";

/** One position: summary, price chart with fills and exit levels, the orders, and the exit form. */
export function PositionDetailPage(props: { d: PositionDetail; stuck?: StuckExitMark | null }) {
  const { position: p, levels, fills, chart } = props.d;
  const stuck = props.stuck ?? null;
  return (
    <>
      {stuck ? (
        <p class="stuck-exit" id="stuck-exit" role="alert">
          Stuck exit: order {stuck.order_id} could not be sold{stuck.code ? ` (${stuck.code})` : ""} since{" "}
          <Time iso={stuck.since} />. WallTrack keeps retrying it with backoff; check the route and the trading wallet,
          or discard it from the dead letters.
        </p>
      ) : null}
      <dl class="kv">
        <dt>Token</dt>
        <dd title={p.token_mint}>
          {p.symbol ?? short(p.token_mint)} {p.name ? <span class="muted">{p.name}</span> : null}
        </dd>
        <dt>Leader</dt>
        <dd title={p.source_wallet_address}>{p.leader_label ?? short(p.source_wallet_address)}</dd>
        <dt>Mode / status</dt>
        <dd>
          {p.mode} / {p.status}
          {p.exit_reason ? ` (${p.exit_reason})` : ""}
        </dd>
        <dt>Entry → current</dt>
        <dd>
          {price(p.entry_price_usd)} → {price(p.current_price_usd)} · left{" "}
          {pct(amountLeftPercent(p.current_amount, p.entry_amount))}
        </dd>
        <dt>PnL</dt>
        <dd class={pnlClass(p.total_pnl_usd)}>
          {usd(p.total_pnl_usd)} ({pct(p.pnl_percent)}) · realized {usd(p.realized_pnl_usd)} · unrealized{" "}
          {usd(p.unrealized_pnl_usd)}
        </dd>
        <dt>Exit levels</dt>
        <dd>
          <LevelsText levels={levels} />
        </dd>
        <dt>Opened / closed</dt>
        <dd>
          <Time iso={p.opened_at} /> / <Time iso={p.closed_at} />
        </dd>
      </dl>

      <div class="charts">
        <div class="chart">
          <h3>Price path, fills and exit levels</h3>
          <div id="price-chart" data-chart={JSON.stringify(chart)} data-empty="No price recorded yet." />
        </div>
      </div>

      {p.status === "open" ? (
        <p>
          Manual exit of what remains: <ExitRequestForm id={p.id} />
        </p>
      ) : null}
      {p.status !== "closed" ? (
        <p>
          <a href={`/positions/${encodeURIComponent(p.id)}/strategy`}>Edit this position's strategy override</a>
        </p>
      ) : null}

      <h2>Orders</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Requested</th>
              <th>Side</th>
              <th>Reason</th>
              <th>Status</th>
              <th class="num">Price</th>
              <th class="num">USD</th>
              <th>Executed</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {fills.map((o) => (
              <tr>
                <td>
                  <Time iso={o.requested_at} />
                </td>
                <td>{o.side}</td>
                <td>{o.reason}</td>
                <td>{o.status}</td>
                <td class="num">{price(o.executed_price_usd ?? o.expected_price_usd)}</td>
                <td class="num">{usd(o.executed_usd ?? o.requested_usd)}</td>
                <td>
                  <Time iso={o.executed_at} />
                </td>
                <td class="muted">{o.last_error ?? o.cancel_reason ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * Step 2 of a manual exit: what will be sold, and the one form that sells it. Its `_nonce` is minted
 * at this render and sent as the exit's Idempotency-Key, so a double click or a resubmitted form sells once.
 */
export function ConfirmExitPage(props: { d: PositionDetail; percent: number; csrf: string }) {
  const p = props.d.position;
  const left = amountLeftPercent(p.current_amount, p.entry_amount);
  return (
    <div class="danger">
      <p>
        Sell <b>{props.percent} %</b> of what remains of {p.symbol ?? short(p.token_mint)} ({p.mode}, {pct(left)} of the
        entry left, last price {price(p.current_price_usd)})?
      </p>
      <form method="post" action={`/positions/${encodeURIComponent(p.id)}/exit`}>
        <Csrf token={props.csrf} />
        <input type="hidden" name="_nonce" value={crypto.randomUUID()} />
        <input type="hidden" name="percent" value={String(props.percent)} />
        <button type="submit">Confirm: sell {props.percent} %</button>{" "}
        <a href={`/positions/${encodeURIComponent(p.id)}`}>Cancel</a>
      </form>
    </div>
  );
}

export const SELL_ALL_PHRASE = "SELL ALL";

/** Panic exit: every open position at 100 %, only after typing the phrase. */
export function SellAllPage(props: { open: number; csrf: string; error?: string }) {
  return (
    <div class="danger">
      <p>
        This sells 100 % of every open position ({props.open} now) at market, urgent priority. It does not stop new
        entries: use the circuit breaker for that.
      </p>
      <form method="post" action="/positions/sell-all">
        <Csrf token={props.csrf} />
        <input type="hidden" name="_nonce" value={crypto.randomUUID()} />
        <label>
          Type <b>{SELL_ALL_PHRASE}</b> to confirm{" "}
          <input type="text" name="confirm" autocomplete="off" required aria-describedby="confirm-error" />
        </label>
        {props.error ? (
          <span class="field-error" id="confirm-error">
            {props.error}
          </span>
        ) : null}{" "}
        <button type="submit">Sell all</button> <a href="/positions">Cancel</a>
      </form>
    </div>
  );
}
