import { eq } from "drizzle-orm";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import { resetBreakerManually, tripBreakerManually } from "../api/circuit-breaker";
import { requestManualExit } from "../api/positions";
import { recordAudit } from "../db/audit";
import { breakerState } from "../db/circuit-breaker";
import { getDb } from "../db/client";
import { positions } from "../db/schema";
import { safeEqual } from "../lib/auth";
import { blockedFor, clientAddress, countFailure } from "../lib/edge-limits";
import { ApiError, type ErrorCode } from "../lib/errors";
import { log } from "../lib/logger";
import { overviewData, positionsData, signalsData, tokensData, walletsData } from "./data";
import { type FlashKey, flashFor } from "./flash";
import { Layout } from "./layout";
import { LoginPage, NotConfiguredPage } from "./pages/login";
import { OverviewPage } from "./pages/overview";
import { PositionsPage } from "./pages/positions";
import { SignalsPage } from "./pages/signals";
import { TokensPage } from "./pages/tokens";
import { WalletsPage } from "./pages/wallets";
import {
  csrfToken,
  csrfValid,
  endSession,
  revokeSessions,
  sessionGeneration,
  startSession,
  validSession,
} from "./session";

/**
 * The operator dashboard (DESIGN §2 src/ui/): server-rendered pages over D1, a cookie session signed
 * with OPERATOR_TOKEN, and CSRF-checked form POSTs that reuse the API's own code paths. A plain Hono
 * router (not OpenAPI) so none of it shows in /openapi.json; mounted at "/" outside /api, so the
 * bearer auth does not apply — `requireSession` does instead, per route (a `use("*")` here would
 * also catch the API paths once mounted at "/").
 */
type UiEnv = { Bindings: Env; Variables: { secret: string; csrf: string; actor: string } };
type Ctx = Context<UiEnv>;

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

/** 429 for a blocked address, as the page the browser shows (with the envelope's words and Retry-After). */
function tooManyLogins(c: Ctx, retryAfter: number) {
  c.header("retry-after", String(retryAfter));
  return render(c, <LoginPage error={`Too many failed logins from this address; retry in ${retryAfter} s.`} />, 429);
}

async function render(
  c: Ctx,
  node: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: 200 | 401 | 403 | 429 | 503 = 200,
) {
  return c.html(`<!doctype html>${await node}`, status, SECURITY_HEADERS);
}

const secretOf = (c: Ctx) => c.env.OPERATOR_TOKEN || null;

/** Valid session or 302 /login; OPERATOR_TOKEN unset → 503 (never open); a POST must carry the CSRF token. */
const requireSession: MiddlewareHandler<UiEnv> = async (c, next) => {
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

const back = (c: Ctx, to: string, key: FlashKey) => c.redirect(`${to}?${new URLSearchParams({ flash: key })}`, 303);

/** Who acted, for the audit trail: the session's issue time names it; the token never appears. */
const sessionActor = (raw: string) => `session:${/^walltrack-dashboard\.v1\.(\d+)/.exec(raw)?.[1] ?? "unknown"}`;

async function auditUi(
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

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
/** A sell form's nonce: the crypto.randomUUID() minted when the page was rendered. */
const FORM_NONCE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
    const data = await overviewData(getDb(c.env.DB));
    return render(
      c,
      <Layout title="Overview" path="/" csrf={c.var.csrf} flash={flashOf(c)}>
        <OverviewPage data={data} csrf={c.var.csrf} />
      </Layout>,
    );
  })
  .get("/positions", requireSession, async (c) => {
    const data = await positionsData(getDb(c.env.DB));
    return render(
      c,
      <Layout title="Positions" path="/positions" csrf={c.var.csrf} flash={flashOf(c)}>
        <PositionsPage data={data} csrf={c.var.csrf} />
      </Layout>,
    );
  })
  .get("/signals", requireSession, async (c) => {
    const rows = await signalsData(getDb(c.env.DB));
    return render(
      c,
      <Layout title="Signals (latest 100)" path="/signals" csrf={c.var.csrf} flash={flashOf(c)}>
        <SignalsPage rows={rows} />
      </Layout>,
    );
  })
  .get("/wallets", requireSession, async (c) => {
    const rows = await walletsData(getDb(c.env.DB));
    return render(
      c,
      <Layout title="Wallets" path="/wallets" csrf={c.var.csrf} flash={flashOf(c)}>
        <WalletsPage rows={rows} />
      </Layout>,
    );
  })
  .get("/tokens", requireSession, async (c) => {
    const rows = await tokensData(getDb(c.env.DB));
    return render(
      c,
      <Layout title="Tokens (latest 100 checked)" path="/tokens" csrf={c.var.csrf} flash={flashOf(c)}>
        <TokensPage rows={rows} />
      </Layout>,
    );
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
