import { DurableObject } from "cloudflare:workers";

/** One row's upsert, the shape of a read-model write (a ~200-byte value). */
const UPSERT = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v";
const VALUE = "x".repeat(200);

interface Env {
  DB: D1Database;
  OBJ: DurableObjectNamespace<Probe>;
}

export class Probe extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)");
  }

  async ping(_payload: unknown): Promise<number> {
    return 1;
  }

  async upserts(n: number): Promise<number> {
    for (let i = 0; i < n; i++) this.ctx.storage.sql.exec(UPSERT, String(i % 50), VALUE);
    return n;
  }

  /** A new object's set-up as a PositionActor does it: its database and eight tables. */
  async setUp(): Promise<number> {
    for (let i = 0; i < 8; i++)
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS x${i} (a TEXT PRIMARY KEY, b TEXT, c INTEGER)`);
    return 1;
  }

  /** The same eight tables in one `exec` (statements separated by semicolons). */
  async setUpOneExec(): Promise<number> {
    this.ctx.storage.sql.exec(
      Array.from(
        { length: 8 },
        (_, i) => `CREATE TABLE IF NOT EXISTS x${i} (a TEXT PRIMARY KEY, b TEXT, c INTEGER)`,
      ).join(";\n"),
    );
    return 1;
  }
}

/** GET /<op>?n=N runs the operation N times, one after another; /setup creates the D1 table. */
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const n = Number(url.searchParams.get("n") ?? 100);
    const op = url.pathname.slice(1);
    const stmt = () => env.DB.prepare(UPSERT);
    switch (op) {
      case "setup":
        await env.DB.exec("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)");
        break;
      case "d1_write":
        for (let i = 0; i < n; i++)
          await stmt()
            .bind(String(i % 50), VALUE)
            .run();
        break;
      case "d1_read":
        for (let i = 0; i < n; i++)
          await env.DB.prepare("SELECT * FROM t WHERE k = ?")
            .bind(String(i % 50))
            .first();
        break;
      case "d1_batch_of_10":
        for (let i = 0; i < n; i++)
          await env.DB.batch(Array.from({ length: 10 }, (_, j) => stmt().bind(String((i + j) % 50), VALUE)));
        break;
      case "rpc": {
        const o = env.OBJ.getByName("warm");
        for (let i = 0; i < n; i++) await o.ping({ a: 1, b: VALUE });
        break;
      }
      case "new_object": {
        const base = crypto.randomUUID();
        for (let i = 0; i < n; i++) await env.OBJ.getByName(`${base}-${i}`).setUp();
        break;
      }
      case "new_object_one_exec": {
        const base = crypto.randomUUID();
        for (let i = 0; i < n; i++) await env.OBJ.getByName(`${base}-one-${i}`).setUpOneExec();
        break;
      }
      case "new_object_bare": {
        // The same without the eight tables: the difference is what a PositionActor's tables cost.
        const base = crypto.randomUUID();
        for (let i = 0; i < n; i++) await env.OBJ.getByName(`${base}-bare-${i}`).ping(null);
        break;
      }
      case "storage_upsert":
        await env.OBJ.getByName("warm").upserts(n);
        break;
      case "fetch": {
        const target = url.searchParams.get("target");
        if (!target) return new Response("target required", { status: 400 });
        for (let i = 0; i < n; i++) await (await fetch(target)).text();
        break;
      }
      case "log_line":
        for (let i = 0; i < n; i++)
          console.log(
            JSON.stringify({ event: "probe", level: "info", ts: new Date().toISOString(), i, detail: "abc" }),
          );
        break;
      default:
        return new Response(`unknown op ${op}`, { status: 404 });
    }
    return new Response("ok");
  },
};
