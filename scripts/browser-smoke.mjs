// npm run test:browser — the dashboard in a real browser (Debian's Chromium via playwright-core), offline.
//
// Starts WallTrack locally (state in .wrangler/browser-smoke, wiped at start; ports 8817-8820 by default,
// `-- --port N` takes N..N+3: worker, fake upstream, their inspectors), adds a
// wallet whose label is an XSS attempt, then in Chromium: a page without a session lands on /login, a
// wrong token is refused, the right one opens the overview, the label shows as text (no dialog), the
// breaker is tripped and resumed through the forms. Screenshot: .wrangler/dashboard.png.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { randomAddress } from "./lib/addresses.mjs";
import { startLocalStack } from "./lib/local-stack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const XSS_LABEL = "<script>alert(1)</script>";

function check(cond, what) {
  if (!cond) throw new Error(`browser smoke failed: ${what}`);
  console.log(`  ✓ ${what}`);
}

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  process.exit(2);
}

const { values: opts } = parseArgs({ options: { port: { type: "string", default: "8817" } } });
const PORT = Number(opts.port);
if (!(Number.isInteger(PORT) && PORT >= 1024 && PORT + 3 <= 65535))
  throw new Error(`--port must be 1024-65532 (got ${opts.port})`);
const stack = await startLocalStack({
  persistTo: ".wrangler/browser-smoke",
  fresh: true,
  port: PORT,
  fakePort: PORT + 1,
  inspectorPorts: [PORT + 2, PORT + 3],
});
let browser;
try {
  await stack.must("POST", "/api/v1/wallets", { address: randomAddress(), label: XSS_LABEL });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });

  await page.goto(`${stack.base}/positions`);
  check(new URL(page.url()).pathname === "/login", "no session: /positions lands on /login");

  await page.fill('input[name="token"]', "not-the-token");
  await page.click('button[type="submit"]');
  check((await page.textContent("body")).includes("Wrong operator token"), "a wrong token is refused");

  await page.fill('input[name="token"]', stack.vars.OPERATOR_TOKEN);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${stack.base}/`);
  check((await page.textContent("h2")).includes("Circuit breaker: closed"), "the right token opens the overview");

  await page.goto(`${stack.base}/wallets`);
  check((await page.textContent("tbody td")) === XSS_LABEL, "the XSS label shows as text");
  check(dialogs.length === 0, "no script ran");

  await page.goto(`${stack.base}/`);
  await page.fill('input[name="reason"]', "browser smoke pause");
  await page.click('form[action="/circuit-breaker/trip"] button');
  await page.waitForURL(/\/\?flash=/);
  check((await page.textContent("h2")).includes("OPEN"), "the breaker trips through the form");
  const state = await stack.must("GET", "/api/v1/circuit-breaker");
  check(state.open && state.reason === "browser smoke pause", "the API sees the manual trip");
  await page.screenshot({ path: ".wrangler/dashboard.png", fullPage: true });

  await page.click('form[action="/circuit-breaker/resume"] button');
  await page.waitForURL(/\/\?flash=/);
  check((await page.textContent("h2")).includes("closed"), "the breaker resumes through the form");

  await page.click("nav form button");
  await page.waitForURL(`${stack.base}/login`);
  await page.goto(`${stack.base}/`);
  check(new URL(page.url()).pathname === "/login", "after logout the overview needs a login again");
  console.log("browser smoke: ok (screenshot .wrangler/dashboard.png)");
} finally {
  await browser?.close();
  stack.stop();
}
