import { Hono } from "hono";
import { getDb } from "../db/client";
import type { WalletRow } from "../db/schema";
import { log } from "../lib/logger";
import { apiErrors, callApi } from "./api-call";
import { NotFoundPage } from "./pages/not-found";
import { WalletEditPage } from "./pages/wallet-edit";
import { auditUi, back, type Ctx, page, requireSession, str, type UiEnv } from "./router";
import { walletDetailData } from "./wallet-data";

const WALLET_ID = /^\d{1,12}$/;
export const STALE_WALLET =
  "This wallet changed since this page was loaded (another tab, the API or the watchlist's pause/resume); nothing was saved. The values in force are shown: make your change again.";

async function walletPage(
  c: Ctx,
  id: number,
  opts: { errors?: Record<string, string>; values?: Record<string, string>; status?: 200 | 409 | 422 } = {},
) {
  const d = await walletDetailData(getDb(c.env.DB), id);
  if (!d) return page(c, "Wallet not found", "/wallets", <NotFoundPage what="This wallet" />, 404);
  const title = `Wallet ${d.wallet.label ?? d.wallet.address.slice(0, 8)}`;
  return page(
    c,
    title,
    "/wallets",
    <WalletEditPage d={d} csrf={c.var.csrf} errors={opts.errors} values={opts.values} />,
    opts.status ?? 200,
  );
}

/** The form's fields as the API's PATCH body, keeping only those that differ from the wallet now. */
function walletPatch(w: WalletRow, values: Record<string, string>): Record<string, unknown> {
  const next: Record<string, unknown> = {
    label: values.label ? values.label : null,
    exit_strategy_id: /^\d+$/.test(values.exit_strategy_id ?? "")
      ? Number(values.exit_strategy_id)
      : values.exit_strategy_id,
    mode: values.mode,
    is_active: values.is_active === "true" ? true : values.is_active === "false" ? false : values.is_active,
  };
  const now: Record<string, unknown> = {
    label: w.label,
    exit_strategy_id: w.exit_strategy_id,
    mode: w.mode,
    is_active: w.is_active,
  };
  return Object.fromEntries(Object.entries(next).filter(([k, v]) => v !== undefined && v !== now[k]));
}

/** Watchlist edit (issue 13): the wallet page, its form (PATCH /api/v1/wallets/{id}) and a performance recompute. */
export const walletUiRouter = new Hono<UiEnv>()
  .get("/wallets/:id{[0-9]+}", requireSession, async (c) => {
    const id = c.req.param("id");
    if (!WALLET_ID.test(id)) return back(c, "/wallets", "wallet_not_found");
    return walletPage(c, Number(id));
  })
  .post("/wallets/:id{[0-9]+}", requireSession, async (c) => {
    const id = c.req.param("id");
    if (!WALLET_ID.test(id)) return back(c, "/wallets", "wallet_not_found");
    const body = await c.req.parseBody();
    const values = {
      label: str(body.label),
      exit_strategy_id: str(body.exit_strategy_id),
      mode: str(body.mode),
      is_active: str(body.is_active),
    };
    const db = getDb(c.env.DB);
    const current = (await walletDetailData(db, Number(id)))?.wallet;
    if (!current) return back(c, "/wallets", "wallet_not_found");
    const patch = walletPatch(current, values);
    if (!Object.keys(patch).length) return back(c, `/wallets/${id}`, "wallet_saved");
    // The form's values were decided on the wallet as it was rendered: if it changed since (another tab, the
    // API, a pause from the watchlist), saving them would undo that change. Refused; the values in force shown.
    const version = str(body._version);
    const stale = () => walletPage(c, Number(id), { errors: { form: STALE_WALLET }, status: 409 });
    if (version !== current.updated_at) return stale();
    // If-Match: the API itself refuses the change if another one lands between this read and its write.
    const r = await callApi(c.env, "PATCH", `/wallets/${id}`, patch, { "if-match": version });
    if (r.status === 409 && r.detail.startsWith("if-match:")) return stale();
    const before = Object.fromEntries(Object.keys(patch).map((k) => [k, current[k as keyof WalletRow]]));
    await auditUi(c, "wallet.update", id, r.ok ? 200 : r.status, before, r.ok ? patch : { error: r.detail });
    if (r.ok) {
      log.info("dashboard_wallet_changed", { wallet_id: Number(id), fields: Object.keys(patch) });
      return back(c, `/wallets/${id}`, "wallet_saved");
    }
    if (r.status === 404) return back(c, "/wallets", "wallet_not_found");
    return walletPage(c, Number(id), { errors: apiErrors(r, "the change was refused"), values, status: 422 });
  })
  .post("/wallets/:id{[0-9]+}/performance", requireSession, async (c) => {
    const id = c.req.param("id");
    const r = await callApi(c.env, "POST", "/performance/recompute");
    return back(c, `/wallets/${id}`, r.ok ? "performance_recomputed" : "action_refused");
  });
