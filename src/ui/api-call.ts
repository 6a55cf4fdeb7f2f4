import { alertsRouter } from "../api/alerts";
import { configRouter } from "../api/config";
import { exitStrategiesRouter } from "../api/exit-strategies";
import { ordersRouter } from "../api/orders";
import { performanceRouter } from "../api/performance";
import { portfolioRouter } from "../api/portfolio";
import { positionsRouter } from "../api/positions";
import { createRouter } from "../api/router";
import { walletInboxRouter } from "../api/wallet-inbox";
import { walletsRouter } from "../api/wallets";
import { toErrorResponse } from "../lib/errors";

/**
 * The dashboard's forms call the API's own routes in-process (same validation, same rules, same error
 * envelope), behind the dashboard's session instead of the bearer token. Only the routers the forms use.
 */
const internal = createRouter();
// The routes record who made a change (the config history's changed_by): these calls are the dashboard's.
internal.use("*", async (c, next) => {
  c.set("channel", "dashboard");
  await next();
});
internal
  .route("/", walletsRouter)
  .route("/", configRouter)
  .route("/", exitStrategiesRouter)
  .route("/", positionsRouter)
  .route("/", performanceRouter)
  .route("/", walletInboxRouter)
  .route("/", ordersRouter)
  .route("/", alertsRouter)
  // Mounted where the app mounts it (/api, not /api/v1): its /wallets/ paths are the portfolio's.
  .route("/api", portfolioRouter);
internal.onError((err, c) => {
  const { status, body } = toErrorResponse(err);
  return c.json(body, status);
});

export async function callApi(
  env: Env,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await internal.request(
    path,
    {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    env,
  );
  const json = (await res.json().catch(() => null)) as { detail?: string } | null;
  return { ok: res.ok, status: res.status, detail: json?.detail ?? "", body: json };
}

/** `address: Invalid…; label: Too long` → the message of each field, for errors next to the field. */
export function fieldErrors(detail: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of detail.split("; ")) {
    const i = part.indexOf(": ");
    const field = i > 0 ? part.slice(0, i) : "form";
    out[field] = out[field] ? `${out[field]}; ${part.slice(i + 2)}` : i > 0 ? part.slice(i + 2) : part;
  }
  return out;
}

/**
 * The errors of a refused API call, by field. A 400 lists one problem per field (`a: x; b.0.c: y`), each
 * shown next to its field (`b.0.c` → `b`). Any other refusal (422 rule, 409 conflict) is one sentence,
 * which may itself contain "; " (the live guardrail's numbers): all of it goes next to the field it
 * names first, or to the form.
 */
export function apiErrors(r: { status: number; detail: string }, fallback: string): Record<string, string> {
  const detail = r.detail || fallback;
  if (r.status === 400) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(fieldErrors(detail))) {
      const field = k.split(".")[0] ?? k;
      const text = k === field ? v : `${k}: ${v}`; // a row of a list keeps its index (scaling_levels.1.multiple)
      out[field] = out[field] ? `${out[field]}; ${text}` : text;
    }
    return out;
  }
  const m = /^([a-z_][a-z0-9_]*)(?:\.[\w.]+)?: ([\s\S]*)$/.exec(detail);
  return m?.[1] && m[2] ? { [m[1]]: m[2] } : { form: detail };
}
