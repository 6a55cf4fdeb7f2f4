import type { Child } from "hono/jsx";

/**
 * Every browser asset is a file the Worker serves itself from public/ (Workers static assets): our
 * stylesheet and script, and htmx and uPlot copied from their npm packages by scripts/copy-assets.mjs.
 * No inline script or style, so the CSP can say script-src 'self'; style-src 'self'.
 */
export const ASSETS = {
  css: ["/vendor/uPlot.min.css", "/assets/dashboard.css", "/assets/settings.css"],
  js: ["/vendor/htmx.min.js", "/vendor/uPlot.iife.min.js", "/assets/dashboard.js"],
} as const;

/** htmx would inject its indicator <style>, which the CSP refuses: turned off, our CSS has none to need. */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false });

export function Document(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · WallTrack`}</title>
        <meta name="htmx-config" content={HTMX_CONFIG} />
        {ASSETS.css.map((href) => (
          <link rel="stylesheet" href={href} />
        ))}
        {ASSETS.js.map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>{props.children}</body>
    </html>
  );
}

const NAV = [
  { href: "/", label: "Overview" },
  { href: "/positions", label: "Positions" },
  { href: "/signals", label: "Signals" },
  { href: "/wallets", label: "Wallets" },
  { href: "/tokens", label: "Tokens" },
  { href: "/portfolio", label: "Portfolio" },
  { href: "/status", label: "Health" },
  { href: "/alerts", label: "Alerts" },
  { href: "/strategies", label: "Strategies" },
  { href: "/config", label: "Config" },
  { href: "/docs", label: "API docs" },
] as const;

export function Layout(props: {
  title: string;
  path: string;
  csrf: string;
  flash?: { msg: string; error: boolean } | null;
  /** The breaker banner shown on every page (rendered by the router from D1). */
  banner?: Child;
  children: Child;
}) {
  return (
    <Document title={props.title}>
      <nav>
        <span class="brand">WallTrack</span>
        {NAV.map((n) => (
          <a href={n.href} class={n.href === props.path ? "on" : ""}>
            {n.label}
          </a>
        ))}
        <form method="post" action="/logout">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <button type="submit">Log out</button>
        </form>
      </nav>
      <main>
        {props.banner ?? null}
        <h1>{props.title}</h1>
        {props.flash ? <div class={props.flash.error ? "flash error" : "flash"}>{props.flash.msg}</div> : null}
        {props.children}
      </main>
    </Document>
  );
}

/** A hidden CSRF field for every dashboard form. */
export const Csrf = (props: { token: string }) => <input type="hidden" name="_csrf" value={props.token} />;
