// The durable-ack floor (../shared/bench/README.md): copied to a temp dir (../shared may be read-only and
// wrangler writes .wrangler/ beside its config), run with the project's pinned wrangler on loopback.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export async function startFloor({ source, port, inspectorPort }) {
  if (!existsSync(join(source, "wrangler.toml"))) throw new Error(`no floor worker at ${source}`);
  const dir = mkdtempSync(join(tmpdir(), "walltrack-floor-"));
  cpSync(source, join(dir, "floor"), { recursive: true });
  const cwd = join(dir, "floor");
  const log = openSync(join(dir, "floor.log"), "w");
  const proc = spawn(
    resolve("node_modules/.bin/wrangler"),
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      join(dir, "state"),
    ],
    { cwd, stdio: ["ignore", log, log] },
  );
  const stop = () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", stop);
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`floor worker exited early (code ${proc.exitCode}); log ${dir}/floor.log`);
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) {
      stop();
      throw new Error("floor worker did not answer within 60 s");
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { base, stop, pid: proc.pid };
}
