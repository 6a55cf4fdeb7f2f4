import { alertsRouter } from "./api/alerts";
import { auditRouter } from "./api/audit";
import { auditTrail } from "./api/audit-trail";
import { benchSeedRoutes } from "./api/bench-seed";
import { circuitBreakerRouter } from "./api/circuit-breaker";
import { configRouter } from "./api/config";
import { configBackupRouter } from "./api/config-backup";
import { exitStrategiesRouter } from "./api/exit-strategies";
import { exportRouter } from "./api/export";
import { healthRouter } from "./api/health";
import { latencyRouter } from "./api/latency";
import { notificationsRouter } from "./api/notifications";
import { ordersRouter } from "./api/orders";
import { performanceRouter } from "./api/performance";
import { portfolioRouter } from "./api/portfolio";
import { positionsRouter } from "./api/positions";
import { reconciliationRouter } from "./api/reconciliation";
import { createRouter } from "./api/router";
import { signalsRouter } from "./api/signals";
import { signalsExportRouter } from "./api/signals-export";
import { statusRouter } from "./api/status";
import { strategySimulatorRouter } from "./api/strategy-simulator";
import { syncRouter } from "./api/sync";
import { tokensRouter } from "./api/tokens";
import { walletEvaluationRouter } from "./api/wallet-evaluation";
import { walletInboxRouter } from "./api/wallet-inbox";
import { walletsRouter } from "./api/wallets";
import { webhooksRouter } from "./api/webhooks";
import { operatorAuth } from "./lib/auth";
import { errorBody, toErrorResponse } from "./lib/errors";
import { log, redact, registerSecrets } from "./lib/logger";
import { API_VERSION } from "./lib/version";
import { attachUpstreamHealth } from "./ops/upstream-store";
import { pushHotStateAfterWrites } from "./pipeline/hot-state-push";
import { configUiRouter } from "./ui/config-routes";
import { DocsPage } from "./ui/pages/docs";
import { UnknownUrlPage } from "./ui/pages/not-found";
import { dashboardRouter, SECURITY_HEADERS } from "./ui/router";
import { strategyUiRouter } from "./ui/strategy-routes";
import { walletUiRouter } from "./ui/wallet-routes";

export function createApp() {
  const app = createRouter();

  app.use("*", async (c, next) => {
    registerSecrets(c.env as unknown as Record<string, unknown>);
    attachUpstreamHealth(c.env);
    await next();
  });

  app.onError((err, c) => {
    const { status, body } = toErrorResponse(err);
    body.detail = String(redact(body.detail)); // a detail quoting a URL or header never carries a secret
    if (status === 500) log.error("request_failed", { method: c.req.method, path: c.req.path, error: redact(err) });
    if (body.error === "DatabaseUnavailable")
      log.warn("database_unavailable", { method: c.req.method, path: c.req.path, error: redact(err) });
    return c.json(body, status);
  });
  app.notFound(async (c) => {
    // A browser asking for an unknown page gets an HTML 404; the API and webhooks keep the JSON envelope.
    const api = c.req.path.startsWith("/api/") || c.req.path.startsWith("/webhooks/");
    if (!api && c.req.method === "GET" && (c.req.header("accept") ?? "").includes("text/html"))
      return c.html(`<!doctype html>${await UnknownUrlPage({ path: c.req.path })}`, 404, SECURITY_HEADERS);
    return c.json(errorBody("NotFound", `no route for ${c.req.method} ${c.req.path}`), 404);
  });

  app.use("/api/*", operatorAuth());
  app.use("*", pushHotStateAfterWrites()); // after auth: only accepted writes reach it
  app.use(
    "/api/*",
    auditTrail(() => app),
  );
  // Bench-only (src/api/bench-seed.ts): exists only where BENCH_SEED_ENABLED is set (the bench's wrangler dev).
  app.use("/api/v1/bench/*", benchSeedRoutes());

  app.route("/", healthRouter);
  app.route("/api/v1", configRouter);
  app.route("/api/v1", configBackupRouter);
  app.route("/", webhooksRouter); // outside /api: its own Helius auth, no operator token
  app.route("/api/v1", signalsExportRouter); // before /signals/{id}
  app.route("/api/v1", signalsRouter);
  app.route("/api/v1", circuitBreakerRouter);
  app.route("/api/v1", ordersRouter);
  app.route("/api/v1", positionsRouter);
  app.route("/api/v1", latencyRouter);
  app.route("/api/v1", performanceRouter);
  app.route("/api/v1", walletsRouter);
  app.route("/api/v1", walletEvaluationRouter);
  app.route("/api/v1", walletInboxRouter);
  app.route("/api/v1", exitStrategiesRouter);
  app.route("/api/v1", strategySimulatorRouter);
  app.route("/api/v1", syncRouter);
  app.route("/api/v1", tokensRouter);
  app.route("/api/v1", statusRouter);
  app.route("/api/v1", alertsRouter);
  app.route("/api/v1", notificationsRouter);
  app.route("/api/v1", auditRouter);
  app.route("/api/v1", exportRouter);
  app.route("/api/v1", reconciliationRouter);
  app.route("/api", portfolioRouter);
  app.route("/", dashboardRouter); // operator dashboard: its own cookie session, not in /openapi.json
  app.route("/", configUiRouter); // dashboard: config editor
  app.route("/", walletUiRouter); // dashboard: watchlist edit and per-wallet performance
  app.route("/", strategyUiRouter); // dashboard: exit-strategy catalog and position overrides

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "WallTrack API", version: API_VERSION, description: "Copy-trading of Solana memecoin wallets." },
  });
  app.get("/docs", async (c) => c.html(`<!doctype html>${await DocsPage()}`, 200, SECURITY_HEADERS));

  return app;
}

export type App = ReturnType<typeof createApp>;
