import type { AlertRow } from "../../db/schema";
import { Fields } from "../fields";
import { Time } from "../format";
import type { AlertsData } from "../health-data";
import { Csrf } from "../layout";

function Action(props: { id: number; to: "ack" | "resolve"; csrf: string }) {
  return (
    <form class="inline" method="post" action={`/alerts/${props.id}/${props.to}`}>
      <Csrf token={props.csrf} />
      <button type="submit">{props.to === "ack" ? "Acknowledge" : "Resolve"}</button>
    </form>
  );
}

function AlertTable(props: { rows: AlertRow[]; csrf: string; actions: boolean }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Severity</th>
            <th>Kind</th>
            <th>Subject</th>
            <th>Message</th>
            <th>Details</th>
            <th>Status</th>
            <th class="num">Seen</th>
            <th>First seen</th>
            <th>Last seen</th>
            {props.actions ? <th /> : <th>Resolved</th>}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((a) => (
            <tr data-alert={a.id}>
              <td class={a.severity === "info" ? "" : "neg"}>{a.severity}</td>
              <td>{a.kind}</td>
              <td>{a.subject}</td>
              <td class="wrap">{a.message}</td>
              <td class="wrap">
                <Fields data={a.detail} />
              </td>
              <td>
                {a.status}
                {a.acknowledged_by ? <span class="muted"> by {a.acknowledged_by}</span> : null}
              </td>
              <td class="num">{a.count}×</td>
              <td>
                <Time iso={a.first_seen_at} />
              </td>
              <td>
                <Time iso={a.last_seen_at} />
              </td>
              {props.actions ? (
                <td>
                  {a.status === "open" ? <Action id={a.id} to="ack" csrf={props.csrf} /> : null}{" "}
                  <Action id={a.id} to="resolve" csrf={props.csrf} />
                </td>
              ) : (
                <td>
                  <Time iso={a.resolved_at} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The live part of the Alerts page, polled every 10 s by htmx (/partials/alerts). */
export function AlertsBody(props: { data: AlertsData; csrf: string }) {
  const { active, resolved, open_count } = props.data;
  return (
    <>
      <h2>
        Active ({active.length}, {open_count} not acknowledged)
      </h2>
      {active.length === 0 ? (
        <p class="muted">No active alert.</p>
      ) : (
        <AlertTable rows={active} csrf={props.csrf} actions={true} />
      )}
      <h2>Recently resolved</h2>
      {resolved.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <AlertTable rows={resolved} csrf={props.csrf} actions={false} />
      )}
    </>
  );
}

export function AlertsPage(props: { data: AlertsData; csrf: string }) {
  return (
    <div id="alerts" hx-get="/partials/alerts" hx-trigger="every 10s" hx-swap="innerHTML">
      <AlertsBody data={props.data} csrf={props.csrf} />
    </div>
  );
}
