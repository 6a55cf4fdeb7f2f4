import { alertsRouter } from "../api/alerts";
import { ordersRouter } from "../api/orders";
import { portfolioRouter } from "../api/portfolio";
import { createRouter } from "../api/router";
import { walletInboxRouter } from "../api/wallet-inbox";
import { walletsRouter } from "../api/wallets";
import { toErrorResponse } from "../lib/errors";

/**
 * The dashboard's forms call the API's own routes in-process (same validation, same rules, same error
 * envelope), behind the dashboard's session instead of the bearer token. Only the routers the forms use.
 */
const internal = createRouter()
  .route("/", walletsRouter)
  .route("/", walletInboxRouter)
  .route("/", ordersRouter)
  .route("/", alertsRouter)
  // Mounted where the app mounts it (/api, not /api/v1): its /wallets/ paths are the portfolio's.
  .route("/api", portfolioRouter);
internal.onError((err, c) => {
  const { status, body } = toErrorResponse(err);
  return c.json(body, status);
});

export async function callApi(env: Env, method: string, path: string, body?: unknown) {
  const res = await internal.request(
    path,
    {
      method,
      headers: { "content-type": "application/json" },
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
