// Starts WallTrack locally with its fake upstreams: the fake upstream worker on one port and the
// Worker on another, its upstream URLs pointed at the fake. Offline, no account. Used by demo and bench.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";

const WRANGLER = "node_modules/.bin/wrangler";

export function readDevVars() {
  if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
  const vars = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const m = line.match(/^\s*([A-Z_]+)\s*=\s*(.*)\s*$/);
    if (m) vars[m[1]] = m[2].replace(/^["']|["']$/g, "");
  }
  return vars;
}

async function waitFor(url, ms, label, proc) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null)
      throw new Error(`${label} exited early (code ${proc.exitCode}); see its log in the state folder`);
    try {
      // Bounded: a server that accepts the connection but never answers must not hang the script.
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${label} did not answer ${url} within ${ms} ms`);
}

/**
 * @param {{ persistTo: string, fresh?: boolean, port?: number, fakePort?: number, quiet?: boolean,
 *   inspectorPorts?: [number, number], vars?: Record<string, string>, secretFiles?: string[] }} opts
 *   inspectorPorts: [worker, fake] (default: port + 1000 each); vars: extra `--var` for the Worker (the bench's
 *   BENCH_SEED_ENABLED); secretFiles: extra env files loaded after .dev.vars (secrets: wrangler never prints them,
 *   unlike a `--var`), e.g. the demo's throwaway trading key
 */
export async function startLocalStack(opts) {
  const port = opts.port ?? 8787;
  const fakePort = opts.fakePort ?? 8788;
  const vars = readDevVars();
  if (!vars.OPERATOR_TOKEN || !vars.HELIUS_WEBHOOK_SECRET)
    throw new Error(".dev.vars must set OPERATOR_TOKEN and HELIUS_WEBHOOK_SECRET (see .dev.vars.example)");
  if (opts.fresh) rmSync(opts.persistTo, { recursive: true, force: true });

  const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", opts.persistTo], {
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  // Each server logs to a file under the state folder (named in errors), or to the terminal when asked.
  mkdirSync(opts.persistTo, { recursive: true });
  const logTo = (name) =>
    opts.quiet === false
      ? "inherit"
      : ["ignore", openSync(`${opts.persistTo}/${name}.log`, "w"), openSync(`${opts.persistTo}/${name}.log`, "a")];
  const fake = spawn(
    WRANGLER,
    [
      "dev",
      "-c",
      "test/fakes/wrangler.toml",
      "--port",
      String(fakePort),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      `${opts.persistTo}/fake`,
      "--inspector-port",
      String(opts.inspectorPorts?.[1] ?? fakePort + 1000),
    ],
    { stdio: logTo("fake-upstream") },
  );
  const fakeBase = `http://127.0.0.1:${fakePort}`;
  const upstreamVars = ["HELIUS_API_URL", "JUPITER_API_URL", "DEXSCREENER_API_URL", "RUGCHECK_API_URL"].flatMap((k) => [
    "--var",
    `${k}:${fakeBase}`,
  ]);
  const worker = spawn(
    WRANGLER,
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      opts.persistTo,
      ...upstreamVars,
      "--var",
      `SOLANA_RPC_URL:${fakeBase}/rpc`,
      ...Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ...(opts.secretFiles?.length ? [".dev.vars", ...opts.secretFiles].flatMap((f) => ["--env-file", f]) : []),
      "--inspector-port",
      String(opts.inspectorPorts?.[0] ?? port + 1000),
    ],
    { stdio: logTo("worker") },
  );
  const stop = () => {
    for (const p of [worker, fake]) if (p.exitCode === null) p.kill("SIGTERM");
  };
  /** Stops both servers and resolves once they exited (SIGKILL after `ms`), so their ports can be reused. */
  const stopAndWait = async (ms = 15_000) => {
    const exited = (p) =>
      p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once("exit", r));
    stop();
    const timer = setTimeout(() => {
      for (const p of [worker, fake]) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    }, ms);
    await Promise.all([worker, fake].map(exited));
    clearTimeout(timer);
  };
  process.on("exit", stop);
  try {
    await waitFor(`${fakeBase}/__fake/calls`, 60_000, "fake upstream", fake);
    await waitFor(`http://127.0.0.1:${port}/health`, 60_000, "worker", worker);
  } catch (err) {
    stop();
    throw err;
  }
  const base = `http://127.0.0.1:${port}`;
  const api = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${vars.OPERATOR_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  };
  const fakeControl = async (what, body) => {
    const res = await fetch(`${fakeBase}/__fake/${what}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };
  /** Like `api`, but a non-2xx answer stops the script with what the API said. */
  const must = async (method, path, body) => {
    const r = await api(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const deliver = async (txs) => {
    const res = await fetch(`${base}/webhooks/helius`, {
      method: "POST",
      headers: { authorization: vars.HELIUS_WEBHOOK_SECRET, "content-type": "application/json" },
      body: JSON.stringify(txs),
    });
    return { status: res.status, body: await res.json().catch(() => ({})) };
  };
  return { base, fakeBase, vars, api, must, deliver, fakeControl, stop, stopAndWait, workerPid: worker.pid };
}
