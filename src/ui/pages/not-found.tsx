import { Document } from "../layout";

/** Inside the dashboard: a record that does not exist. */
export function NotFoundPage(props: { what: string }) {
  return (
    <p>
      {props.what} does not exist (or no longer does). <a href="/">Back to the overview</a>
    </p>
  );
}

/** An unknown URL outside the API: an HTML page, not the API's JSON envelope. */
export function UnknownUrlPage(props: { path: string }) {
  return (
    <Document title="Not found">
      <main>
        <h1>404 — page not found</h1>
        <p>
          Nothing lives at <code>{props.path}</code>. <a href="/">Go to the dashboard</a> or the{" "}
          <a href="/docs">API docs</a>.
        </p>
      </main>
    </Document>
  );
}
