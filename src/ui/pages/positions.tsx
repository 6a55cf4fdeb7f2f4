import type { PositionsData } from "../data";
import { amountLeftPercent, pct, pnlClass, price, short, time, usd } from "../format";
import { Csrf } from "../layout";

/**
 * One sell form. Its `_nonce` is minted at each render and sent as the exit's Idempotency-Key, so a
 * double click or a resubmitted form sells once; the page rendered again carries new nonces.
 */
function SellButton(props: { id: string; percent: number; csrf: string }) {
  return (
    <form class="inline" method="post" action={`/positions/${encodeURIComponent(props.id)}/exit`}>
      <Csrf token={props.csrf} />
      <input type="hidden" name="_nonce" value={crypto.randomUUID()} />
      <input type="hidden" name="percent" value={String(props.percent)} />
      <button type="submit">Sell {props.percent} %</button>
    </form>
  );
}

/** Mint, leader and mode: the first cells of both tables. */
function IdentityCells(props: { p: { token_mint: string; source_wallet_address: string; mode: string } }) {
  const { p } = props;
  return (
    <>
      <td title={p.token_mint}>{short(p.token_mint)}</td>
      <td title={p.source_wallet_address}>{short(p.source_wallet_address)}</td>
      <td>{p.mode}</td>
    </>
  );
}

export function PositionsPage(props: { data: PositionsData; csrf: string }) {
  const { open, closed } = props.data;
  return (
    <>
      <h2>Open ({open.length})</h2>
      {open.length === 0 ? (
        <p class="muted">No open positions.</p>
      ) : (
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
              <th>Opened</th>
              <th>Exit</th>
            </tr>
          </thead>
          <tbody>
            {open.map((p) => (
              <tr>
                <IdentityCells p={p} />
                <td>{p.status}</td>
                <td class="num">{price(p.entry_price_usd)}</td>
                <td class="num">{price(p.current_price_usd)}</td>
                <td class="num">{pct(amountLeftPercent(p.current_amount, p.entry_amount))}</td>
                <td class={`num ${pnlClass(p.unrealized_pnl_usd)}`}>{usd(p.unrealized_pnl_usd)}</td>
                <td class={`num ${pnlClass(p.realized_pnl_usd)}`}>{usd(p.realized_pnl_usd)}</td>
                <td class={`num ${pnlClass(p.total_pnl_usd)}`}>{usd(p.total_pnl_usd)}</td>
                <td class={`num ${pnlClass(p.pnl_percent)}`}>{pct(p.pnl_percent)}</td>
                <td>{time(p.opened_at)}</td>
                <td>
                  {p.status === "open" ? (
                    <>
                      <SellButton id={p.id} percent={100} csrf={props.csrf} />{" "}
                      <SellButton id={p.id} percent={50} csrf={props.csrf} />
                    </>
                  ) : (
                    <span class="muted">exit queued</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Recently closed (latest 50)</h2>
      {closed.length === 0 ? (
        <p class="muted">No closed positions.</p>
      ) : (
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
                <td>{p.exit_reason ?? "—"}</td>
                <td class="num">{price(p.entry_price_usd)}</td>
                <td class="num">{price(p.avg_exit_price_usd)}</td>
                <td class={`num ${pnlClass(p.total_pnl_usd)}`}>{usd(p.total_pnl_usd)}</td>
                <td class={`num ${pnlClass(p.pnl_percent)}`}>{pct(p.pnl_percent)}</td>
                <td>{time(p.opened_at)}</td>
                <td>{time(p.closed_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
