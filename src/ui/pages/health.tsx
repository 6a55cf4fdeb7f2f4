import type { Child } from "hono/jsx";
import { Fields } from "../fields";
import { short, sol, Time } from "../format";
import type { HealthData } from "../health-data";
import { Csrf } from "../layout";

type Component = HealthData["status"]["components"][number];

const verdictClass = (v: string) => (v === "ok" ? "pos" : "neg");

/**
 * A table that scrolls inside its box (the phone layout), or when it has no row the `empty` message (nothing
 * at all without one, so its heading can be left out by the caller too).
 */
function ScrollTable(props: { rows: number; empty?: string; id?: string; head: Child; children: Child }) {
  if (props.rows === 0) return props.empty ? <p class="muted">{props.empty}</p> : null;
  return (
    <div class="scroll">
      <table id={props.id}>
        <thead>
          <tr>{props.head}</tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

function ComponentRows(props: { rows: Component[] }) {
  return (
    <>
      {props.rows.map((c) => (
        <tr data-component={c.name}>
          <td>{c.name}</td>
          <td class={verdictClass(c.verdict)}>
            <b>{c.verdict}</b>
          </td>
          <td class="wrap">{c.reason}</td>
          <td class="wrap">
            <Fields data={c.detail} />
          </td>
        </tr>
      ))}
    </>
  );
}

function Components(props: { title: string; rows: Component[] }) {
  if (props.rows.length === 0) return null;
  return (
    <>
      <h2>{props.title}</h2>
      <ScrollTable
        rows={props.rows.length}
        head={
          <>
            <th>Component</th>
            <th>Verdict</th>
            <th>Reason</th>
            <th>Details</th>
          </>
        }
      >
        <ComponentRows rows={props.rows} />
      </ScrollTable>
    </>
  );
}

function PostButton(props: { action: string; csrf: string; label: string }) {
  return (
    <form class="inline" method="post" action={props.action}>
      <Csrf token={props.csrf} />
      <button type="submit">{props.label}</button>
    </form>
  );
}

function SwapQueue(props: { swap: HealthData["swap"]; csrf: string }) {
  const q = props.swap;
  return (
    <>
      <h2>Swap queue</h2>
      <p id="swap-queue">
        <Fields
          data={{
            pending: q.pending,
            depth: q.depth,
            next_run_at: q.next_run_at,
            last_execution_at: q.last_execution_at,
            swap_tokens_left: q.swap_tokens,
            swap_rate_limit: `${q.bucket.per_second}/s, burst ${q.bucket.burst}`,
          }}
        />
      </p>
      <h3>Dead letters ({q.dead_letters.length})</h3>
      <ScrollTable
        rows={q.dead_letters.length}
        empty="No dead letter."
        id="dead-letters"
        head={
          <>
            <th>Order</th>
            <th>Key</th>
            <th class="num">Attempts</th>
            <th>Last error</th>
            <th>Died</th>
            <th />
          </>
        }
      >
        {q.dead_letters.map((d) => (
          <tr data-dead-letter={d.order_id}>
            <td title={d.order_id}>{short(d.order_id)}</td>
            <td>{d.idempotency_key}</td>
            <td class="num">{d.attempts}</td>
            <td class="wrap">{d.last_error ?? "—"}</td>
            <td>
              <Time iso={d.died_at} />
            </td>
            <td>
              <PostButton
                action={`/status/dead-letters/${encodeURIComponent(d.order_id)}/retry`}
                csrf={props.csrf}
                label="Retry"
              />{" "}
              <PostButton
                action={`/status/dead-letters/${encodeURIComponent(d.order_id)}/discard`}
                csrf={props.csrf}
                label="Discard"
              />
            </td>
          </tr>
        ))}
      </ScrollTable>
      {q.owed.length ? (
        <>
          <h3>Steps still owed ({q.owed.length}, retried by the queue)</h3>
          <ScrollTable
            rows={q.owed.length}
            head={
              <>
                <th>Order</th>
                <th>Step</th>
                <th class="num">Attempts</th>
                <th>Last error</th>
                <th>Next attempt</th>
              </>
            }
          >
            {q.owed.map((o) => (
              <tr>
                <td title={o.order_id}>{short(o.order_id)}</td>
                <td>{o.step}</td>
                <td class="num">{o.attempts}</td>
                <td class="wrap">{o.last_error ?? "—"}</td>
                <td>
                  <Time iso={o.next_attempt_at} />
                </td>
              </tr>
            ))}
          </ScrollTable>
        </>
      ) : null}
    </>
  );
}

function Inbox(props: { rows: HealthData["inbox"]; csrf: string }) {
  return (
    <>
      <h2>Wallet inbox dead letters ({props.rows.length})</h2>
      <ScrollTable
        rows={props.rows.length}
        empty="No parked transaction."
        id="inbox-dead"
        head={
          <>
            <th>Wallet</th>
            <th>Transaction</th>
            <th>Type</th>
            <th class="num">Attempts</th>
            <th>Last error</th>
            <th />
          </>
        }
      >
        {props.rows.map((r) => (
          <tr data-inbox={r.signature}>
            <td title={r.wallet}>{short(r.wallet)}</td>
            <td title={r.signature}>{short(r.signature)}</td>
            <td>{r.signal_type ?? "—"}</td>
            <td class="num">{r.attempts}</td>
            <td class="wrap">{r.last_error ?? "—"}</td>
            <td>
              <PostButton
                action={`/status/inbox/${encodeURIComponent(r.wallet)}/${encodeURIComponent(r.signature)}/requeue`}
                csrf={props.csrf}
                label="Requeue"
              />
            </td>
          </tr>
        ))}
      </ScrollTable>
    </>
  );
}

const KEY_STATE_WORDS: Record<string, string> = { ok: "valid", malformed: "malformed", missing: "absent" };

/**
 * The trading wallet (issue 11): the public key derived from WALLET_PRIVATE_KEY (never the key), whether the
 * key is usable and why not, the live master switch, and which leaders are copied live. All from the
 * status's `trading_wallet` component, whose reason never quotes the key.
 */
function TradingWallet(props: { component: Component | undefined; trading: HealthData["trading"] }) {
  const c = props.component;
  const d = (c?.detail ?? {}) as {
    address?: string | null;
    key_state?: string;
    live_switch?: string;
    sol_balance?: number | null;
    sol_balance_at?: string | null;
  };
  const state = d.key_state ?? "missing";
  const live = props.trading.live_wallets;
  return (
    <>
      <h2>Trading wallet</h2>
      <div id="trading-wallet" data-key-state={state}>
        <p>
          Public key:{" "}
          {d.address ? <code id="trading-address">{d.address}</code> : <span class="muted">none (no usable key)</span>}
        </p>
        <p>
          Key: <b class={state === "ok" ? "pos" : "neg"}>{KEY_STATE_WORDS[state] ?? state}</b>
          {c ? <> — {c.reason}</> : null}
        </p>
        <p>
          Live trading switch (live_trading_enabled):{" "}
          <b id="live-switch">{props.trading.live_trading_enabled ? "on" : "off"}</b>
          {d.live_switch?.includes("not wired") ? " (not wired in this build: no live order runs)" : ""}
        </p>
        {d.address ? (
          <p>
            SOL balance:{" "}
            {d.sol_balance == null ? (
              <span class="muted">not known yet (refreshed with the portfolio)</span>
            ) : (
              <>
                {sol(d.sol_balance)} (as of <Time iso={d.sol_balance_at} />)
              </>
            )}
          </p>
        ) : null}
        <p>
          Wallets in live mode ({live.length}):{" "}
          {live.length === 0 ? (
            <span class="muted">none; every wallet is simulated</span>
          ) : (
            live.map((w, i) => (
              <>
                {i > 0 ? ", " : ""}
                <a href={`/wallets/${w.id}`} data-live-wallet={w.address} title={w.address}>
                  {w.label || short(w.address)}
                </a>
                {w.is_active ? "" : " (inactive)"}
              </>
            ))
          )}
        </p>
      </div>
    </>
  );
}

/** The last reconciliation run in words, its findings by severity, and where the findings are. */
function Reconciliation(props: { run: HealthData["status"]["reconciliation"] }) {
  const r = props.run;
  return (
    <>
      <h2>Reconciliation</h2>
      {r ? (
        <div id="reconciliation" data-run={r.run_id} data-run-status={r.status}>
          <p>
            Last run #{r.run_id} ({r.trigger}), started <Time iso={r.started_at} />
            {r.finished_at ? (
              <>
                , finished <Time iso={r.finished_at} />
              </>
            ) : null}
            : <span class={r.status === "error" || r.by_severity.critical > 0 ? "neg" : ""}>{r.summary}</span>
          </p>
          <p>
            Findings: <b data-severity="critical">{r.by_severity.critical}</b> critical,{" "}
            <b data-severity="warning">{r.by_severity.warning}</b> warning
            {r.findings > 0 ? (
              <>
                {" "}
                (<Fields data={Object.fromEntries(Object.entries(r.by_kind).filter(([, n]) => n > 0))} />)
              </>
            ) : null}
          </p>
          <p class="muted">
            The findings in full: <code>GET {r.route}</code>; each one is also a reconciliation alert on{" "}
            <a href="/alerts">Alerts</a>.
          </p>
        </div>
      ) : (
        <p class="muted" id="reconciliation">
          No reconciliation run yet (hourly; POST /api/v1/reconciliation/run runs one now).
        </p>
      )}
    </>
  );
}

function Jobs(props: { rows: HealthData["jobs"] }) {
  if (props.rows.length === 0) return null;
  return (
    <>
      <h2>Recent job runs</h2>
      <ScrollTable
        rows={props.rows.length}
        head={
          <>
            <th>Job</th>
            <th>Status</th>
            <th>Started</th>
            <th>Finished</th>
            <th>Details</th>
          </>
        }
      >
        {props.rows.map((j) => (
          <tr>
            <td>{j.job}</td>
            <td>{j.status}</td>
            <td>
              <Time iso={j.started_at} />
            </td>
            <td>
              <Time iso={j.finished_at} />
            </td>
            <td class="wrap">
              <Fields data={j.detail} />
            </td>
          </tr>
        ))}
      </ScrollTable>
    </>
  );
}

/** The live part of the Health page, polled every 10 s by htmx (/partials/status). */
export function HealthBody(props: { data: HealthData; csrf: string }) {
  const { status, swap, inbox, jobs, trading } = props.data;
  const of = (test: (name: string) => boolean) => status.components.filter((c) => test(c.name));
  return (
    <>
      <p>
        Overall: <b class={verdictClass(status.verdict)}>{status.verdict}</b> (checked{" "}
        <Time iso={status.generated_at} />)
      </p>
      <Components title="Cron heartbeats" rows={of((n) => n.startsWith("cron:"))} />
      <Components title="Webhook" rows={of((n) => n === "webhook")} />
      <Components title="Upstreams" rows={of((n) => n.startsWith("upstream:"))} />
      <Components
        title="Actors, positions and wallet"
        rows={of((n) => !n.startsWith("cron:") && !n.startsWith("upstream:") && n !== "webhook")}
      />
      <TradingWallet component={status.components.find((c) => c.name === "trading_wallet")} trading={trading} />
      <Reconciliation run={status.reconciliation} />
      <SwapQueue swap={swap} csrf={props.csrf} />
      <Inbox rows={inbox} csrf={props.csrf} />
      <Jobs rows={jobs} />
    </>
  );
}

export function HealthPage(props: { data: HealthData; csrf: string }) {
  return (
    <div id="health" hx-get="/partials/status" hx-trigger="every 10s" hx-swap="innerHTML">
      <HealthBody data={props.data} csrf={props.csrf} />
    </div>
  );
}
