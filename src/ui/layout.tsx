import type { Child } from "hono/jsx";

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
nav{display:flex;gap:1rem;align-items:center;background:#1f2937;padding:.6rem 1rem}
nav a{color:#e5e7eb;text-decoration:none}nav a.on{color:#fff;font-weight:600;text-decoration:underline}
nav .brand{color:#fff;font-weight:700;margin-right:1rem}nav form{margin-left:auto}
main{padding:1rem 1.5rem;max-width:1400px}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0 1.5rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left;white-space:nowrap}
th{background:#f0f1f4;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pos{color:#047857}.neg{color:#b91c1c}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.5rem 0 1.5rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:.6rem .9rem;min-width:150px}
.card b{display:block;font-size:1.3rem}
.flash{padding:.5rem .8rem;border-radius:4px;background:#e0f2fe;border:1px solid #7dd3fc;margin-bottom:1rem}
.flash.error{background:#fee2e2;border-color:#fca5a5}
.breaker{padding:.8rem 1rem;border-radius:6px;margin-bottom:1rem;border:1px solid}
.breaker.open{background:#fee2e2;border-color:#f87171}.breaker.closed{background:#ecfdf5;border-color:#6ee7b7}
form.inline{display:inline;margin:0}button{cursor:pointer}
input[type=text],input[type=password]{padding:.3rem;min-width:260px}
.muted{color:#6b7280}
`;

export function Document(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · WallTrack`}</title>
        <style>{CSS}</style>
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
] as const;

export function Layout(props: {
  title: string;
  path: string;
  csrf: string;
  flash?: { msg: string; error: boolean } | null;
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
        <h1>{props.title}</h1>
        {props.flash ? <div class={props.flash.error ? "flash error" : "flash"}>{props.flash.msg}</div> : null}
        {props.children}
      </main>
    </Document>
  );
}

/** A hidden CSRF field for every dashboard form. */
export const Csrf = (props: { token: string }) => <input type="hidden" name="_csrf" value={props.token} />;
