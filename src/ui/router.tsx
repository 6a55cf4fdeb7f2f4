import { eq } from "drizzle-orm";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import { changeAlert } from "../api/alerts";
import { resetBreakerManually, tripBreakerManually } from "../api/circuit-breaker";
import { requestManualExit } from "../api/positions";
import { recordAudit } from "../db/audit";
import { breakerState } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { alerts, positions } from "../db/schema";
import { safeEqual } from "../lib/auth";
import { blockedFor, clientAddress, countFailure } from "../lib/edge-limits";
import { ApiError, type ErrorCode } from "../lib/errors";
import { log } from "../lib/logger";
import { callApi, fieldErrors } from "./api-call";
import {
  bannerData,
  openPositionsData,
  overviewCardsData,
  overviewData,
  pnlCharts,
  positionDetailData,
  positionsData,
  signalFiltersOf,
  signalsData,
  tokensData,
} from "./data";
import { type FlashKey, flashFor } from "./flash";
import { alertsData, healthData } from "./health-data";
import { Layout } from "./layout";
import { AlertsBody, AlertsPage } from "./pages/alerts";
import { BreakerBanner } from "./pages/breaker-banner";
import { HealthBody, HealthPage } from "./pages/health";
import { LoginPage, NotConfiguredPage } from "./pages/login";
import { NotFoundPage } from "./pages/not-found";
import { OpenPositionsTable } from "./pages/open-positions";
import { OverviewCards, OverviewPage } from "./pages/overview";
import { PortfolioPage } from "./pages/portfolio";
import { ConfirmExitPage, PositionDetailPage, SELL_ALL_PHRASE, SellAllPage } from "./pages/position-detail";
import { PositionsPage } from "./pages/positions";
import { SignalsPage } from "./pages/signals";
import { TokensPage } from "./pages/tokens";
import { WalletsPage } from "./pages/wallets";
import { portfolioData } from "./portfolio-data";
import {
  csrfToken,
  csrfValid,
  endSession,
  revokeSessions,
  sessionGeneration,
  startSession,
  validSession,
} from "./session";
import { watchlistData, watchlistSortOf } from "./wallet-data";

/**
 * The operator dashboard (DESIGN §2 src/ui/): server-rendered pages over D1, a cookie session signed
 * with OPERATOR_TOKEN, and CSRF-checked form POSTs that reuse the API's own code paths. A plain Hono
 * router (not OpenAPI) so none of it shows in /openapi.json; mounted at "/" outside /api, so the
 * bearer auth does not apply — `requireSession` does instead, per route (a `use("*")` here would
 * also catch the API paths once mounted at "/").
 */
export type UiEnv = { Bindings: Env; Variables: { secret: string; csrf: string; actor: string } };
export type Ctx = Context<UiEnv>;

/**
 * Strict CSP: scripts and styles only from the Worker's own files (public/, Workers static assets), no
 * inline script or style element; htmx and the charts fetch only from 'self'. uPlot positions its
 * elements through the CSSOM, which style-src does not govern.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

/** 429 for a blocked address, as the page the browser shows (with the envelope's words and Retry-After). */
function tooManyLogins(c: Ctx, retryAfter: number) {
  c.header("retry-after", String(retryAfter));
  return render(c, <LoginPage error={`Too many failed logins from this address; retry in ${retryAfter} s.`} />, 429);
}

export async function render(
  c: Ctx,
  node: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: 200 | 401 | 403 | 404 | 409 | 422 | 429 | 503 = 200,
) {
  return c.html(`<!doctype html>${await node}`, status, SECURITY_HEADERS);
}

const secretOf = (c: Ctx) => c.env.OPERATOR_TOKEN || null;

/** Valid session or 302 /login; OPERATOR_TOKEN unset → 503 (never open); a POST must carry the CSRF token. */
export const requireSession: MiddlewareHandler<UiEnv> = async (c, next) => {
  const secret = secretOf(c);
  if (!secret) return render(c, <NotConfiguredPage />, 503);
  const session = await validSession(c, secret);
  if (!session) return c.redirect("/login", 302);
  if (c.req.method === "POST") {
    const body = await c.req.parseBody();
    if (!(await csrfValid(secret, session, body._csrf))) {
      log.warn("dashboard_csrf_rejected", { path: c.req.path });
      return c.text("403 Forbidden: missing or invalid CSRF token; reload the page and try again", 403);
    }
  }
  c.set("secret", secret);
  c.set("csrf", await csrfToken(secret, session));
  c.set("actor", sessionActor(session));
  await next();
};

const flashOf = (c: Ctx) => flashFor(c.req.query("flash"));

export const back = (c: Ctx, to: string, key: FlashKey) =>
  c.redirect(`${to}?${new URLSearchParams({ flash: key })}`, 303);

/** Who acted, for the audit trail: the session's issue time names it; the token never appears. */
const sessionActor = (raw: string) => `session:${/^walltrack-dashboard\.v1\.(\d+)/.exec(raw)?.[1] ?? "unknown"}`;

export async function auditUi(
  c: Ctx,
  action: string,
  subject: string | null,
  outcome: number,
  before: unknown,
  after: unknown,
) {
  try {
    await recordAudit(c.env.DB, {
      actor: c.var.actor ?? "session:unknown",
      channel: "dashboard",
      action,
      subject,
      outcome_status: outcome,
      before,
      after,
    });
  } catch (err) {
    log.error("audit_write_failed", { action, error: String(err) });
  }
}

/**
 * Runs an API code path; its ApiError (Conflict, NotFound, ...) becomes an error flash, anything else throws.
 * Every attempt is audited with the state before and after (issue 12).
 */
async function act(
  c: Ctx,
  to: string,
  audit: { action: string; subject: string | null; state: () => Promise<unknown> },
  refusals: Partial<Record<ErrorCode, FlashKey>>,
  ok: () => Promise<FlashKey>,
) {
  const before = await audit.state().catch(() => null);
  try {
    const key = await ok();
    await auditUi(c, audit.action, audit.subject, 200, before, await audit.state().catch(() => null));
    return back(c, to, key);
  } catch (err) {
    if (err instanceof ApiError) {
      await auditUi(c, audit.action, audit.subject, err.status, before, { error: err.code, detail: err.message });
      return back(c, to, refusals[err.code] ?? "action_refused");
    }
    throw err;
  }
}

/** A full dashboard page: the layout with the breaker banner (every page shows it) around `body`. */
export async function page(
  c: Ctx,
  title: string,
  path: string,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: 200 | 404 | 409 | 422 = 200,
) {
  const breaker = await bannerData(getDb(c.env.DB));
  return render(
    c,
    <Layout
      title={title}
      path={path}
      csrf={c.var.csrf}
      flash={flashOf(c)}
      banner={<BreakerBanner breaker={breaker} csrf={c.var.csrf} />}
    >
      {body}
    </Layout>,
    status,
  );
}

/** The per-part outcome of a refresh / the run summary, for the audit record (never the whole answer). */
const refreshOf = (body: unknown) => (body as { refresh?: unknown } | null)?.refresh ?? null;
const summaryOf = (body: unknown) => (body as { summary?: unknown } | null)?.summary ?? null;

export const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
/** A sell form's nonce: the crypto.randomUUID() minted when the page was rendered. */
export const FORM_NONCE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const dashboardRouter = new Hono<UiEnv>()
  .get("/login", (c) => (secretOf(c) ? render(c, <LoginPage />) : render(c, <NotConfiguredPage />, 503)))
  .post("/login", async (c) => {
    const secret = secretOf(c);
    if (!secret) return render(c, <NotConfiguredPage />, 503);
    const address = clientAddress(c);
    const blocked = await blockedFor(c.env, "login", address);
    if (blocked) return tooManyLogins(c, blocked.retry_after_seconds);
    const body = await c.req.parseBody();
    if (!(await safeEqual(str(body.token), secret))) {
      const v = await countFailure(c.env, "login", address);
      log.warn("dashboard_login_failed", { failures: v.failures, blocked: v.blocked });
      if (v.blocked) return tooManyLogins(c, v.retry_after_seconds);
      return render(c, <LoginPage error="Wrong operator token." />, 401);
    }
    const issued = Date.now();
    await startSession(c, secret, issued, await sessionGeneration(c.env.DB));
    c.set("actor", `session:${issued}`);
    await auditUi(c, "session.login", null, 303, null, null);
    log.info("dashboard_login_succeeded", {});
    return c.redirect("/", 303);
  })
  .post("/logout", requireSession, async (c) => {
    await auditUi(c, "session.logout", null, 303, null, null);
    // Server-side: the generation moves on, so this cookie (and any copy of it) is refused from now on.
    await revokeSessions(c.env.DB);
    endSession(c);
    return c.redirect("/login", 303);
  })
  .get("/", requireSession, async (c) => {
    const db = getDb(c.env.DB);
    const [data, charts, open] = await Promise.all([overviewData(db), pnlCharts(db), openPositionsData(db)]);
    return page(c, "Overview", "/", <OverviewPage data={data} charts={charts} open={open} />);
  })
  // The live part of the overview and positions pages, polled every 5 s by htmx (an HTML fragment).
  .get("/partials/open-positions", requireSession, async (c) => {
    const rows = await openPositionsData(getDb(c.env.DB));
    return c.html(await (<OpenPositionsTable rows={rows} />), 200, SECURITY_HEADERS);
  })
  // The overview's summary cards, polled every 5 s by htmx (an HTML fragment).
  .get("/partials/overview-cards", requireSession, async (c) => {
    const cards = await overviewCardsData(getDb(c.env.DB));
    return c.html(await (<OverviewCards cards={cards} />), 200, SECURITY_HEADERS);
  })
  .get("/positions", requireSession, async (c) => {
    const data = await positionsData(getDb(c.env.DB));
    return page(c, "Positions", "/positions", <PositionsPage open={data.open} closed={data.closed} />);
  })
  .get("/positions/sell-all", requireSession, async (c) => {
    const open = (await openPositionsData(getDb(c.env.DB))).filter((p) => p.status === "open");
    return page(c, "Sell all open positions", "/positions", <SellAllPage open={open.length} csrf={c.var.csrf} />);
  })
  .post("/positions/sell-all", requireSession, async (c) => {
    const body = await c.req.parseBody();
    const db = getDb(c.env.DB);
    const open = (await openPositionsData(db)).filter((p) => p.status === "open");
    if (str(body.confirm) !== SELL_ALL_PHRASE)
      return page(
        c,
        "Sell all open positions",
        "/positions",
        <SellAllPage open={open.length} csrf={c.var.csrf} error={`type ${SELL_ALL_PHRASE} exactly to confirm`} />,
        422,
      );
    const nonce = str(body._nonce);
    if (!FORM_NONCE.test(nonce)) return back(c, "/positions", "form_expired");
    // One Idempotency-Key per (form, position): a resubmitted form asks each actor again and sells once.
    const results = await Promise.allSettled(
      open.map((p) => requestManualExit(c.env, p.id, 100, `dashboard:sell-all:${nonce}:${p.id}`)),
    );
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${open[i]?.id}: ${r.reason instanceof ApiError ? r.reason.message : "failed"}`] : [],
    );
    for (const r of results) if (r.status === "rejected" && !(r.reason instanceof ApiError)) throw r.reason;
    log.info("dashboard_sell_all_requested", { positions: open.length, failed: failed.length });
    await auditUi(c, "position.sell_all", null, 200, { open: open.map((p) => p.id) }, { refused: failed });
    return back(c, "/positions", failed.length ? "sell_all_partial" : "sell_all_queued");
  })
  .get("/positions/:id", requireSession, async (c) => {
    const d = await positionDetailData(getDb(c.env.DB), c.req.param("id"));
    if (!d) return page(c, "Position not found", "/positions", <NotFoundPage what="This position" />, 404);
    // A stuck live exit is the PositionActor's own mark (issue 11); the page shows it when the actor answers.
    const stuck =
      d.position.status === "closed"
        ? null
        : await c.env.POSITION_ACTOR.getByName(d.position.id)
            .summary()
            .then((s) => s?.stuck_exit ?? null)
            .catch(() => null);
    return page(
      c,
      `Position ${d.position.symbol ?? d.position.id}`,
      "/positions",
      <PositionDetailPage d={d} stuck={stuck} />,
    );
  })
  // Step 2 of a manual exit (step 1 is the percentage form): the confirmation, with the one-time nonce.
  .get("/positions/:id/exit", requireSession, async (c) => {
    const id = c.req.param("id");
    const percent = Number(str(c.req.query("percent")));
    if (!Number.isFinite(percent) || percent <= 0 || percent > 100)
      return back(c, `/positions/${encodeURIComponent(id)}`, "percent_invalid");
    const d = await positionDetailData(getDb(c.env.DB), id);
    if (!d) return page(c, "Position not found", "/positions", <NotFoundPage what="This position" />, 404);
    if (d.position.status !== "open") return back(c, `/positions/${encodeURIComponent(id)}`, "position_not_open");
    return page(c, "Confirm manual exit", "/positions", <ConfirmExitPage d={d} percent={percent} csrf={c.var.csrf} />);
  })
  .get("/signals", requireSession, async (c) => {
    const db = getDb(c.env.DB);
    const filters = signalFiltersOf(c.req.query());
    const [rows, limits] = await Promise.all([signalsData(db, filters), loadConfig(db)]);
    return page(c, "Signals (latest 100)", "/signals", <SignalsPage rows={rows} filters={filters} limits={limits} />);
  })
  .get("/wallets", requireSession, async (c) => {
    const { sort, dir } = watchlistSortOf(c.req.query());
    const rows = await watchlistData(getDb(c.env.DB), sort, dir);
    return page(c, "Wallets", "/wallets", <WalletsPage rows={rows} csrf={c.var.csrf} sort={sort} dir={dir} />);
  })
  .post("/wallets", requireSession, async (c) => {
    const body = await c.req.parseBody();
    const values = { address: str(body.address), label: str(body.label), mode: str(body.mode) || "simulation" };
    const r = await callApi(c.env, "POST", "/wallets", {
      address: values.address,
      mode: values.mode,
      ...(values.label ? { label: values.label } : {}),
    });
    if (r.ok) return back(c, "/wallets", "wallet_added");
    const rows = await watchlistData(getDb(c.env.DB), null, "desc");
    const errors = fieldErrors(r.detail || "the wallet could not be added");
    return page(
      c,
      "Wallets",
      "/wallets",
      <WalletsPage rows={rows} csrf={c.var.csrf} errors={errors} values={values} />,
      422,
    );
  })
  .post("/wallets/:id/active", requireSession, async (c) => {
    const id = c.req.param("id");
    const active = str((await c.req.parseBody()).active) === "true";
    if (!/^\d{1,12}$/.test(id)) return back(c, "/wallets", "wallet_not_found");
    const r = await callApi(c.env, "PATCH", `/wallets/${id}`, { is_active: active });
    return r.ok
      ? back(c, "/wallets", active ? "wallet_resumed" : "wallet_paused")
      : back(c, "/wallets", r.status === 404 ? "wallet_not_found" : "wallet_change_refused");
  })
  .get("/tokens", requireSession, async (c) => {
    const rows = await tokensData(getDb(c.env.DB));
    return page(c, "Tokens (latest 100 checked)", "/tokens", <TokensPage rows={rows} />);
  })
  .get("/portfolio", requireSession, async (c) => {
    const data = await portfolioData(getDb(c.env.DB));
    return page(c, "Portfolio", "/portfolio", <PortfolioPage data={data} csrf={c.var.csrf} />);
  })
  // Refreshes go through the portfolio API's own code path; the per-part outcome stays on the row (D1).
  .post("/portfolio/refresh-all", requireSession, async (c) => {
    const r = await callApi(c.env, "POST", "/api/wallets/refresh-all");
    const key: FlashKey =
      r.status === 200
        ? "portfolio_refresh_all_done"
        : r.status === 202
          ? "portfolio_refresh_all_running"
          : r.status === 207
            ? "portfolio_refresh_all_partial"
            : r.status === 409
              ? "portfolio_refresh_all_busy"
              : "portfolio_refresh_all_failed";
    await auditUi(c, "portfolio.refresh_all", null, r.status, null, { summary: summaryOf(r.body) });
    return back(c, "/portfolio", key);
  })
  .post("/portfolio/:address/refresh", requireSession, async (c) => {
    const address = c.req.param("address");
    const r = await callApi(c.env, "POST", `/api/wallets/${encodeURIComponent(address)}/refresh`);
    const key: FlashKey =
      r.status === 200
        ? "portfolio_refreshed"
        : r.status === 207
          ? "portfolio_refresh_partial"
          : r.status === 404 || r.status === 400
            ? "portfolio_wallet_not_found"
            : "portfolio_refresh_failed";
    await auditUi(c, "portfolio.refresh", address, r.status, null, { refresh: refreshOf(r.body) });
    return back(c, "/portfolio", key);
  })
  .get("/status", requireSession, async (c) => {
    const data = await healthData(c.env, getDb(c.env.DB));
    return page(c, "Health", "/status", <HealthPage data={data} csrf={c.var.csrf} />);
  })
  .get("/partials/status", requireSession, async (c) => {
    const data = await healthData(c.env, getDb(c.env.DB));
    return c.html(await (<HealthBody data={data} csrf={c.var.csrf} />), 200, SECURITY_HEADERS);
  })
  // Dead letters and parked inbox rows: through the API's own routes; every attempt audited.
  .post("/status/dead-letters/:order_id/:action{retry|discard}", requireSession, async (c) => {
    const { order_id, action } = c.req.param();
    const r = await callApi(c.env, "POST", `/swap-queue/dead-letters/${encodeURIComponent(order_id)}/${action}`);
    const key: FlashKey = r.ok
      ? action === "retry"
        ? "dead_letter_retried"
        : "dead_letter_discarded"
      : r.status === 404
        ? "dead_letter_not_found"
        : r.status === 409
          ? "dead_letter_not_retried"
          : "action_refused";
    await auditUi(c, `swap_queue.dead_letter.${action}`, order_id, r.status, null, r.body);
    return back(c, "/status", key);
  })
  .post("/status/inbox/:wallet/:signature/requeue", requireSession, async (c) => {
    const { wallet, signature } = c.req.param();
    const r = await callApi(
      c.env,
      "POST",
      `/wallets/${encodeURIComponent(wallet)}/inbox/${encodeURIComponent(signature)}/retry`,
    );
    const key: FlashKey = r.ok
      ? "inbox_requeued"
      : r.status === 404 || r.status === 400
        ? "inbox_not_found"
        : r.status === 409
          ? "inbox_not_dead"
          : "action_refused";
    await auditUi(c, "wallet.inbox.requeue", `${wallet}:${signature}`, r.status, null, r.body);
    return back(c, "/status", key);
  })
  .get("/alerts", requireSession, async (c) => {
    const data = await alertsData(getDb(c.env.DB));
    return page(c, "Alerts", "/alerts", <AlertsPage data={data} csrf={c.var.csrf} />);
  })
  .get("/partials/alerts", requireSession, async (c) => {
    const data = await alertsData(getDb(c.env.DB));
    return c.html(await (<AlertsBody data={data} csrf={c.var.csrf} />), 200, SECURITY_HEADERS);
  })
  .post("/alerts/:id/:to{ack|resolve}", requireSession, async (c) => {
    const { id: raw, to } = c.req.param();
    if (!/^\d{1,12}$/.test(raw)) return back(c, "/alerts", "alert_not_found");
    const id = Number(raw);
    const state = () => getDb(c.env.DB).select().from(alerts).where(eq(alerts.id, id)).get();
    const audit = { action: `alert.${to}`, subject: String(id), state };
    const refusals = { NotFound: "alert_not_found", Conflict: "alert_conflict" } as const;
    return act(c, "/alerts", audit, refusals, async () => {
      await changeAlert(c.env.DB, id, to === "ack" ? "acknowledged" : "resolved", c.var.actor);
      return to === "ack" ? "alert_acknowledged" : "alert_resolved";
    });
  })
  .post("/positions/:id/exit", requireSession, async (c) => {
    const id = c.req.param("id");
    const body = await c.req.parseBody();
    const percent = Number(str(body.percent));
    if (!Number.isFinite(percent) || percent <= 0 || percent > 100) return back(c, "/positions", "percent_invalid");
    // The form's one-time nonce is the exit's Idempotency-Key: a double-submitted form sells once.
    const nonce = str(body._nonce);
    if (!FORM_NONCE.test(nonce)) return back(c, "/positions", "form_expired");
    const positionState = () => getDb(c.env.DB).select().from(positions).where(eq(positions.id, id)).get();
    const audit = { action: "position.exit", subject: id, state: positionState };
    const refusals = { NotFound: "position_not_found", Conflict: "position_closed" } as const;
    return act(c, "/positions", audit, refusals, async () => {
      const r = await requestManualExit(c.env, id, percent, `dashboard:${nonce}`);
      log.info("dashboard_exit_requested", { position_id: id, percent, order_id: r.order_id, replayed: r.replayed });
      return r.replayed ? "exit_already_requested" : "exit_queued";
    });
  })
  .post("/circuit-breaker/trip", requireSession, async (c) => {
    const reason = str((await c.req.parseBody()).reason);
    if (!reason || reason.length > 500) return back(c, "/", "reason_required");
    const state = () => breakerState(getDb(c.env.DB));
    const audit = { action: "circuit_breaker.activate", subject: "circuit_breaker", state };
    return act(c, "/", audit, { Conflict: "breaker_already_open" }, async () => {
      await tripBreakerManually(getDb(c.env.DB), reason);
      return "breaker_tripped";
    });
  })
  .post("/circuit-breaker/resume", requireSession, async (c) => {
    const reason = str((await c.req.parseBody()).reason) || "resumed from the dashboard";
    if (reason.length > 500) return back(c, "/", "reason_too_long");
    const state = () => breakerState(getDb(c.env.DB));
    const audit = { action: "circuit_breaker.deactivate", subject: "circuit_breaker", state };
    return act(c, "/", audit, { Conflict: "breaker_not_open" }, async () => {
      await resetBreakerManually(getDb(c.env.DB), reason);
      return "breaker_reset";
    });
  });
