// npm run test:e2e — the dashboard end to end in Debian's Chromium (playwright-core, never a downloaded
// browser) against a local Worker and the fake upstreams (ports 8930-8933 by default, `-- --port N` takes
// N..N+3: worker, fake upstream, their inspectors; state in .wrangler/e2e, wiped).
// Logs in, receives a webhook BUY and sees the position and the summary cards change without reloading, sees a
// filtered BUY's reason in words on /signals, opens its chart, exits
// 50 % after confirming, refreshes a portfolio wallet and sees it turn fresh, edits a wallet (a refused switch to
// live shown next to the field), changes a config value (an out-of-range one refused next to the field), adds and
// edits an exit strategy, checks /docs renders with every non-local request blocked, every page at
// 390×844 without horizontal page scroll, the HTML 404, and logout. Screenshots: docs/screenshots/.
import { existsSync, mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { randomAddress } from "./lib/addresses.mjs";
import { loadTs } from "./lib/load-ts.mjs";
import { startLocalStack } from "./lib/local-stack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = "docs/screenshots";
const PAGES = [
  "/",
  "/positions",
  "/signals",
  "/wallets",
  "/tokens",
  "/positions/sell-all",
  "/portfolio",
  "/status",
  "/alerts",
  "/config",
  "/strategies",
];
const { values: opts } = parseArgs({ options: { port: { type: "string", default: "8930" } } });
const PORT = Number(opts.port);
if (!(Number.isInteger(PORT) && PORT >= 1024 && PORT + 3 <= 65535))
  throw new Error(`--port must be 1024-65532 (got ${opts.port})`);
let passed = 0;

function check(cond, what) {
  if (!cond) throw new Error(`e2e failed: ${what}`);
  passed++;
  console.log(`  ✓ ${what}`);
}

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const { buildSwapTx, fakeSignature } = await loadTs("test/helpers/helius-payloads.ts");

const stack = await startLocalStack({
  persistTo: ".wrangler/e2e",
  fresh: true,
  port: PORT,
  fakePort: PORT + 1,
  inspectorPorts: [PORT + 2, PORT + 3],
});
let browser;
try {
  const leader = randomAddress();
  await stack.must("POST", "/api/v1/wallets", { address: leader, label: "alpha" });
  const token = {
    mint: randomAddress(),
    symbol: "E2E",
    name: "E2E coin",
    price_usd: 1,
    liquidity_usd: 350_000,
    age_hours: 72,
    top10_holder_percent: 35,
  };
  await stack.fakeControl("tokens", { tokens: [token] });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Offline proof: any request that is not to the local Worker is refused (and counted).
  const external = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    external.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));

  await page.goto(`${stack.base}/`);
  check(new URL(page.url()).pathname === "/login", "no session: the overview lands on /login");
  await page.fill('input[name="token"]', stack.vars.OPERATOR_TOKEN);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${stack.base}/`);
  check((await page.textContent("#breaker h2")).includes("Circuit breaker: closed"), "logged in: the overview");
  check(await page.locator("#equity-chart").isVisible(), "the equity chart box is on the overview");

  // A webhook BUY arrives while the overview is open: the htmx refresh shows it without a reload (the
  // marker set on this window survives only if the page was never reloaded), the summary cards included.
  const openCard = '#overview-cards [data-card="open_positions"] b';
  check((await page.textContent(openCard)).trim() === "0", "the overview's open positions card starts at 0");
  await page.evaluate(() => {
    window.__e2eNoReload = true;
  });
  const res = await stack.deliver([
    buildSwapTx({
      signature: fakeSignature(`e2e-${Date.now()}`),
      wallet: leader,
      mint: token.mint,
      side: "buy",
      quote_amount: 1,
      token_amount: 150,
      fee_transfer_lamports: 100_000,
    }),
  ]);
  check(res.status < 300, `the webhook BUY is accepted (${res.status})`);
  await page.locator("#open-positions tr[data-position]").first().waitFor({ timeout: 60_000 });
  check((await page.textContent("#open-positions")).includes("E2E"), "the position appears without reloading");
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === "1", openCard, {
    timeout: 60_000,
  });
  check(
    await page.evaluate(() => window.__e2eNoReload === true),
    "the summary cards refresh without reloading (open positions 0 → 1)",
  );
  await page.screenshot({ path: `${SHOTS}/overview.png`, fullPage: true });

  // A BUY of an unsafe token (no liquidity, a freeze authority: the fake's RugCheck and DexScreener say so) is
  // filtered; /signals says why in words with the score and the threshold. The signal row may reach D1 a
  // little after the webhook's answer (write-behind), so the page is polled until it shows.
  const unsafe = {
    mint: randomAddress(),
    symbol: "RUG",
    name: "Unsafe coin",
    price_usd: 0.001,
    liquidity_usd: 500,
    age_hours: 72,
    top10_holder_percent: 35,
    freeze_authority: "Frz1111111111111111111111111111111111111111",
  };
  await stack.fakeControl("tokens", { tokens: [unsafe] });
  const unsafeRes = await stack.deliver([
    buildSwapTx({
      signature: fakeSignature(`e2e-unsafe-${Date.now()}`),
      wallet: leader,
      mint: unsafe.mint,
      side: "buy",
      quote_amount: 1,
      token_amount: 1000,
      fee_transfer_lamports: 100_000,
    }),
  ]);
  check(unsafeRes.status < 300, `the webhook BUY of an unsafe token is accepted (${unsafeRes.status})`);
  const filteredCell = `#signals tr[data-token="${unsafe.mint}"] td[data-outcome="filtered"]`;
  for (const until = Date.now() + 60_000; ; ) {
    await page.goto(`${stack.base}/signals?outcome=filtered`);
    if ((await page.locator(filteredCell).count()) > 0) break;
    if (Date.now() > until) throw new Error("e2e failed: the filtered BUY never showed on /signals within 60 s");
    await page.waitForTimeout(500);
  }
  const why = (await page.textContent(filteredCell)).trim();
  check(
    /^not copied: token safety score [\d.]+ is below the threshold [\d.]+$/.test(why),
    `a filtered signal's reason in words with its numbers ("${why}")`,
  );

  await page.goto(`${stack.base}/positions`);
  await page.screenshot({ path: `${SHOTS}/positions.png`, fullPage: true });
  await page.click("#open-positions a:has-text('Details')");
  await page.waitForSelector("#price-chart canvas", { timeout: 10_000 });
  check(true, "the position detail draws its price chart (uPlot canvas)");
  const legend = await page.textContent("#price-chart");
  check(legend.includes("stop-loss"), "the chart draws the exit levels");
  await page.screenshot({ path: `${SHOTS}/position-detail.png`, fullPage: true });

  await page.fill('input[name="percent"]', "50");
  await page.click("button:has-text('Sell % …')");
  await page.waitForSelector("text=Confirm: sell 50 %");
  check(true, "exiting asks for confirmation first");
  await page.screenshot({ path: `${SHOTS}/confirm-exit.png`, fullPage: true });
  await page.click("button:has-text('Confirm: sell 50 %')");
  await page.waitForURL(/flash=exit_queued/);
  check((await page.textContent(".flash")).includes("Exit queued"), "the 50 % exit is queued after confirming");

  await page.goto(`${stack.base}/wallets`);
  await page.fill('form.add-wallet input[name="address"]', "not-an-address");
  await page.click("button:has-text('Add wallet')");
  await page.waitForSelector("#address-error");
  check(true, "a bad wallet address is refused next to the field");
  await page.fill('form.add-wallet input[name="address"]', randomAddress());
  await page.fill('form.add-wallet input[name="label"]', "beta");
  await page.click("button:has-text('Add wallet')");
  await page.waitForURL(/flash=wallet_added/);
  check((await page.textContent(".flash")).includes("added"), "a good wallet is added from the dashboard");

  // Portfolio: an operator wallet never refreshed is stale; refreshing it from the page makes it fresh.
  const own = randomAddress();
  await stack.must("POST", "/api/wallets/", { address: own, label: "launcher" });
  await stack.fakeControl("wallets", { address: own, lamports: 2_000_000_000 });
  await page.goto(`${stack.base}/portfolio`);
  const ownRow = `#portfolio-wallets tr[data-wallet="${own}"]`;
  check(
    (await page.getAttribute(`${ownRow} td[data-freshness]`, "data-freshness")) === "stale",
    "a portfolio wallet never refreshed shows stale",
  );
  await page.click(`${ownRow} button:has-text('Refresh')`);
  await page.waitForURL(/flash=portfolio_refreshed/);
  check(
    (await page.getAttribute(`${ownRow} td[data-freshness]`, "data-freshness")) === "fresh",
    "after Refresh its cache is fresh (FUNDED, balance shown)",
  );
  check((await page.textContent(ownRow)).includes("FUNDED"), "the refreshed wallet is FUNDED");

  // Health and Alerts: readable status, auto-refreshed.
  await page.goto(`${stack.base}/status`);
  check(await page.locator('#health tr[data-component="webhook"]').isVisible(), "the health page shows the webhook");
  // The trading-wallet panel says in words whether the key is usable (this stack has none: absent), and the
  // last reconciliation run (or that there was none yet) is summarised.
  check(
    /Key: (valid|malformed|absent)/.test(await page.textContent("#trading-wallet")),
    "the health page shows the trading wallet's key state in words",
  );
  check(await page.locator("#reconciliation").isVisible(), "the health page shows the last reconciliation run");
  // Watchlist edit: the wallet page, a refused switch to live (the API's reason next to the field), a saved edit.
  await page.goto(`${stack.base}/wallets`);
  await page.click("#watchlist tr:has-text('alpha') a:has-text('Edit')");
  await page.waitForSelector("form.wallet-edit");
  const walletPath = new URL(page.url()).pathname;
  await page.selectOption('form.wallet-edit select[name="mode"]', "live");
  await page.click("button:has-text('Save wallet')");
  await page.waitForSelector("#mode-error");
  check(
    (await page.textContent("#mode-error")).includes("live"),
    "a refused switch to live says why next to the mode field",
  );
  await page.fill('form.wallet-edit input[name="label"]', "alpha edited");
  await page.selectOption('form.wallet-edit select[name="mode"]', "simulation");
  await page.click("button:has-text('Save wallet')");
  await page.waitForURL(/flash=wallet_saved/);
  check(
    (await page.inputValue('form.wallet-edit input[name="label"]')) === "alpha edited",
    "a wallet is edited from the dashboard",
  );
  // A form left open while the wallet changes elsewhere (here: the API) is refused, never undoing that change.
  await stack.must("PATCH", `/api/v1${walletPath}`, { label: "alpha elsewhere" });
  await page.fill('form.wallet-edit input[name="label"]', "alpha stale");
  await page.click("button:has-text('Save wallet')");
  await page.waitForSelector("#form-error");
  check(
    (await page.textContent("#form-error")).includes("changed since this page was loaded") &&
      (await page.inputValue('form.wallet-edit input[name="label"]')) === "alpha elsewhere",
    "a stale wallet form is refused next to the form, with the values in force shown",
  );
  await page.fill('form.wallet-edit input[name="label"]', "alpha edited");
  await page.click("button:has-text('Save wallet')");
  await page.waitForURL(/flash=wallet_saved/);
  await page.click("button:has-text('Recompute now')");
  await page.waitForURL(/flash=performance_recomputed/);
  check(await page.locator("#perf-simulation").isVisible(), "the wallet shows its performance windows");
  await page.screenshot({ path: `${SHOTS}/wallet-edit.png`, fullPage: true });
  await page.goto(`${stack.base}/wallets?sort=pnl&dir=desc`);
  check(await page.locator("#watchlist th a.sorted").isVisible(), "the watchlist sorts by a column");

  // Config: an out-of-range value is refused next to its field; a valid one is saved and shows in the history.
  await page.goto(`${stack.base}/config`);
  await page.fill("#cfg-max_open_positions", "5000");
  await page.click("button:has-text('Save changes')");
  await page.waitForSelector("#max_open_positions-error");
  check(
    (await page.textContent("#max_open_positions-error")).includes("1000"),
    "an out-of-range config value is refused next to its field",
  );
  await page.locator("#max_open_positions-error").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/config-refused.png` });
  await page.fill("#cfg-max_open_positions", "7");
  await page.click("button:has-text('Save changes')");
  await page.waitForURL(/flash=config_saved/);
  check((await page.inputValue("#cfg-max_open_positions")) === "7", "a config value is changed from the dashboard");
  check(
    (await page.textContent("#config-history + .scroll")).includes("max_open_positions"),
    "the change history shows the change",
  );
  check(
    (await page.textContent("#config-history + .scroll tr[data-history]")).includes("dashboard"),
    "the history records the change as made from the dashboard",
  );
  await page.screenshot({ path: `${SHOTS}/config.png`, fullPage: true });

  // Exit strategies: add one, then edit it (a bad value refused next to the field first).
  await page.goto(`${stack.base}/strategies`);
  await page.fill('form.strategy-form input[name="name"]', "e2e-strategy");
  await page.fill('form.strategy-form input[name="stop_loss_percent"]', "20");
  await page.fill('form.strategy-form input[name="scaling_levels"]', "2:50, 3:25");
  await page.click("button:has-text('Add strategy')");
  await page.waitForURL(/flash=strategy_created/);
  await page.click("#strategies tr:has-text('e2e-strategy') a:has-text('Edit')");
  await page.waitForSelector("form.strategy-form");
  const strategyPath = new URL(page.url()).pathname;
  await page.fill('form.strategy-form input[name="stop_loss_percent"]', "150");
  await page.click("button:has-text('Save strategy')");
  await page.waitForSelector("#stop_loss_percent-error");
  check(
    ((await page.textContent("#stop_loss_percent-error")) ?? "").trim().length > 0,
    "an out-of-range stop-loss is refused next to its field",
  );
  await page.fill('form.strategy-form input[name="stop_loss_percent"]', "15");
  await page.click("button:has-text('Save strategy')");
  await page.waitForURL(/flash=strategy_saved/);
  check(
    (await page.textContent("#strategies tr:has-text('e2e-strategy')")).includes("15 %"),
    "an exit strategy is edited from the dashboard",
  );
  await page.screenshot({ path: `${SHOTS}/strategies.png`, fullPage: true });
  PAGES.push(walletPath, strategyPath);

  for (const path of PAGES.slice(2)) {
    await page.goto(`${stack.base}${path}`);
    if (/\/\d+$/.test(path)) continue; // the edit pages have their own screenshots above
    await page.screenshot({ path: `${SHOTS}/${path.slice(1).replace(/\//g, "-")}.png`, fullPage: true });
  }

  await page.goto(`${stack.base}/docs`);
  await page.waitForSelector(".swagger-ui .info .title", { timeout: 20_000 });
  check((await page.textContent(".swagger-ui .info .title")).includes("WallTrack API"), "/docs renders Swagger UI");
  await page.screenshot({ path: `${SHOTS}/docs.png` });
  check(external.length === 0, `no request left the machine (${external.join(", ") || "none"})`);

  await page.goto(`${stack.base}/no-such-page`);
  check((await page.textContent("h1")).includes("404"), "an unknown URL shows the HTML 404 page");

  // Phone: every page without horizontal page scroll.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of [...PAGES, "/docs"]) {
    await page.goto(`${stack.base}${path}`);
    await page.waitForLoadState("load");
    const { scroll, width } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: window.innerWidth,
    }));
    check(scroll <= width, `390×844 ${path}: no horizontal page scroll (${scroll} ≤ ${width})`);
    if (path === "/" || path === "/positions")
      await page.screenshot({ path: `${SHOTS}/phone${path === "/" ? "-overview" : "-positions"}.png`, fullPage: true });
    if (path === "/config") await page.screenshot({ path: `${SHOTS}/phone-config.png` });
  }
  check(
    consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e)).length === 0,
    `no CSP violation in the console (${consoleErrors.join(" | ") || "none"})`,
  );

  await page.goto(`${stack.base}/`);
  await page.click("nav form button");
  await page.waitForURL(`${stack.base}/login`);
  await page.goto(`${stack.base}/positions`);
  check(new URL(page.url()).pathname === "/login", "after logout the dashboard is refused");
  console.log(`e2e: ${passed} passed, 0 failed (screenshots in ${SHOTS}/)`);
} catch (err) {
  console.error(err);
  console.log(`e2e: ${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  stack.stop();
}
