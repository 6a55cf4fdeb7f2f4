import type { Child } from "hono/jsx";
import { Fields } from "../fields";
import { short, Time } from "../format";
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
  const { status, swap, inbox, jobs } = props.data;
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
