import { short, sol, Time } from "../format";
import { Csrf } from "../layout";
import type { PortfolioData } from "../portfolio-data";

type WalletView = PortfolioData["wallets"][number];
const PARTS = ["balance", "holdings", "funding"] as const;

/** "fresh, 42 s old" / "stale, 3 h old" / "stale, never refreshed": the cache age the issue asks for. */
export function ageText(seconds: number | null): string {
  if (seconds == null) return "never refreshed";
  if (seconds < 120) return `${seconds} s old`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min old`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h old`;
  return `${Math.round(seconds / 86_400)} d old`;
}

function Freshness(props: { w: WalletView }) {
  const { w } = props;
  return (
    <td class={w.is_stale ? "neg" : "pos"} data-freshness={w.is_stale ? "stale" : "fresh"}>
      {w.is_stale ? "stale" : "fresh"}, {ageText(w.cache_age_seconds)}
    </td>
  );
}

/** Each part of the last refresh: refreshed at <time>, or its failure message (the cached data was kept). */
function PartCell(props: { w: WalletView; part: (typeof PARTS)[number] }) {
  const { w, part } = props;
  const error = w.last_refresh_errors?.[part];
  const at = { balance: w.balance_refreshed_at, holdings: w.holdings_refreshed_at, funding: w.funding_refreshed_at }[
    part
  ];
  if (error)
    return (
      <td class="neg" title={error}>
        failed: {error.slice(0, 80)}
      </td>
    );
  return <td>{at ? <Time iso={at} /> : <span class="muted">never</span>}</td>;
}

function Holdings(props: { w: WalletView }) {
  const h = props.w.token_holdings;
  if (h.length === 0) return <span class="muted">none</span>;
  return (
    <span>
      {h
        .slice(0, 5)
        .map((t) => `${t.ui_balance} ${t.ticker ?? short(t.mint_address)}`)
        .join(", ")}
      {h.length > 5 ? ` +${h.length - 5} more` : ""}
    </span>
  );
}

function RefreshButton(props: { address: string; csrf: string }) {
  return (
    <form class="inline" method="post" action={`/portfolio/${encodeURIComponent(props.address)}/refresh`}>
      <Csrf token={props.csrf} />
      <button type="submit">Refresh</button>
    </form>
  );
}

function WalletsTable(props: { data: PortfolioData; csrf: string }) {
  const { wallets } = props.data;
  if (wallets.length === 0)
    return <p class="muted">No operator wallet yet (add one with POST /api/wallets/; see the API docs).</p>;
  return (
    <div class="scroll">
      <table id="portfolio-wallets">
        <thead>
          <tr>
            <th>Label</th>
            <th>Address</th>
            <th>Type</th>
            <th>Status</th>
            <th class="num">Balance</th>
            <th>Holdings</th>
            <th class="num">Launches</th>
            <th>Cache</th>
            <th>Balance part</th>
            <th>Holdings part</th>
            <th>Funding part</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {wallets.map((w) => (
            <tr data-wallet={w.address}>
              <td>{w.label ?? "—"}</td>
              <td title={w.address}>{short(w.address)}</td>
              <td>{w.wallet_type}</td>
              <td title={w.first_funded_at ? `first funded ${w.first_funded_at}` : ""}>
                {w.status === "FUNDED" ? <b>FUNDED</b> : w.status}
              </td>
              <td class="num">{sol(w.last_balance_sol)}</td>
              <td>
                <Holdings w={w} />
              </td>
              <td class="num">{w.launch_count}</td>
              <Freshness w={w} />
              {PARTS.map((part) => (
                <PartCell w={w} part={part} />
              ))}
              <td>
                <RefreshButton address={w.address} csrf={props.csrf} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LastRun(props: { run: PortfolioData["run"] }) {
  const r = props.run;
  if (!r) return <p class="muted">No refresh-all has run yet.</p>;
  return (
    <p id="refresh-run">
      Last refresh-all: <b>{r.status}</b>, {r.wallets_done}/{r.wallets_total} wallets — {r.ok} ok, {r.partial} partial,{" "}
      {r.failed} failed, in {r.chunks} chunk(s); started <Time iso={r.started_at} />
      {r.finished_at ? (
        <>
          , finished <Time iso={r.finished_at} />
        </>
      ) : null}
      .
    </p>
  );
}

function Fundings(props: { rows: PortfolioData["fundings"] }) {
  if (props.rows.length === 0) return <p class="muted">No funding scheduled.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Scheduled for</th>
            <th>Wallet</th>
            <th class="num">Amount</th>
            <th>From</th>
            <th>Status</th>
            <th>Transaction</th>
            <th>Failure</th>
            <th>Notes</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((f) => (
            <tr>
              <td>
                <Time iso={f.scheduled_for} />
              </td>
              <td title={f.wallet_address}>{short(f.wallet_address)}</td>
              <td class="num">{sol(f.amount_sol)}</td>
              <td title={f.source_wallet ?? ""}>{short(f.source_wallet)}</td>
              <td>{f.status}</td>
              <td title={f.tx_signature ?? ""}>{short(f.tx_signature)}</td>
              <td>{f.failure_reason ?? "—"}</td>
              <td>{f.notes ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Launches(props: { rows: PortfolioData["launches"] }) {
  if (props.rows.length === 0) return <p class="muted">No launch recorded.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Launched</th>
            <th>Wallet</th>
            <th>Token</th>
            <th>Platform</th>
            <th class="num">Initial buy</th>
            <th>On chain</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((l) => (
            <tr>
              <td>
                <Time iso={l.launched_at} />
              </td>
              <td title={l.wallet_address}>{short(l.wallet_address)}</td>
              <td title={l.mint_address}>
                <b>{l.ticker ?? short(l.mint_address)}</b> {l.name ? <span class="muted">{l.name}</span> : null}
              </td>
              <td>{l.platform ?? "—"}</td>
              <td class="num">{sol(l.initial_buy_sol)}</td>
              <td title={l.chain_error ?? ""}>
                {l.chain_error ? `failed: ${l.chain_error}` : (l.confirmation_status ?? "not looked up")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The operator's own wallets (the portfolio cache): balances, FUNDED status, holdings, cache age, refreshes. */
export function PortfolioPage(props: { data: PortfolioData; csrf: string }) {
  const { data } = props;
  return (
    <>
      <p class="muted">
        Cached from Solana; a wallet is stale after {data.stale_seconds} s. FUNDED from {sol(data.funded_threshold_sol)}
        . A refresh reads balance, holdings and funding separately: a part that fails keeps its cached data and shows
        its reason.
      </p>
      <form class="inline" method="post" action="/portfolio/refresh-all">
        <Csrf token={props.csrf} />
        <button type="submit">Refresh all</button>
      </form>
      <LastRun run={data.run} />
      <WalletsTable data={data} csrf={props.csrf} />
      <h2>Funding schedule</h2>
      <Fundings rows={data.fundings} />
      <h2>Launches</h2>
      <Launches rows={data.launches} />
    </>
  );
}
