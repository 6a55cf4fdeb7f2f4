import { Document } from "../layout";

export function LoginPage(props: { error?: string }) {
  return (
    <Document title="Log in">
      <main>
        <h1>WallTrack operator login</h1>
        {props.error ? <div class="flash error">{props.error}</div> : null}
        <form method="post" action="/login">
          <label>
            Operator token <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>{" "}
          <button type="submit">Log in</button>
        </form>
      </main>
    </Document>
  );
}

export function NotConfiguredPage() {
  return (
    <Document title="Not configured">
      <main>
        <h1>Dashboard not configured</h1>
        <p>
          OPERATOR_TOKEN is not set, so the dashboard stays closed. Set the secret (
          <code>wrangler secret put OPERATOR_TOKEN</code>) and reload.
        </p>
      </main>
    </Document>
  );
}
