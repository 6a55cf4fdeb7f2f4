import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { fake } from "./helpers/fake";
import { csrfOf, ui, uiLogin } from "./helpers/ui";

/** Issue 13: the Portfolio, Health and Alerts pages and their buttons. */
async function session(page: string) {
  const cookie = await uiLogin();
  const res = await ui("GET", page, { cookie });
  return { cookie, csrf: csrfOf(res.text), html: res.text };
}

/** The <tr> of one wallet in the portfolio table. */
const rowOf = (html: string, address: string) => {
  const m = new RegExp(`<tr data-wallet="${address}">[\\s\\S]*?</tr>`).exec(html);
  if (!m) throw new Error(`no row for ${address}`);
  return m[0];
};

describe("portfolio page", () => {
  it("shows each operator wallet with balance, FUNDED status, holdings and a stale cache until refreshed", async () => {
    await fake.reset();
    const address = randomAddress();
    expect((await api("POST", "/api/wallets/", { address, label: "launcher-1" })).status).toBe(201);
    const { cookie, csrf, html } = await session("/portfolio");
    const before = rowOf(html, address);
    expect(before).toContain("launcher-1");
    expect(before).toContain('data-freshness="stale"');
    expect(before).toContain("never refreshed");
    expect(before).toContain("UNFUNDED");

    await fake.wallet({ address, lamports: 2_000_000_000 });
    const res = await ui("POST", `/portfolio/${address}/refresh`, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/portfolio?flash=portfolio_refreshed");
    const after = await ui("GET", "/portfolio?flash=portfolio_refreshed", { cookie });
    expect(after.text).toContain("Wallet refreshed");
    const row = rowOf(after.text, address);
    expect(row).toContain('data-freshness="fresh"');
    expect(row).toContain("<b>FUNDED</b>");
    expect(row).toContain("2.000 SOL");
    const audit = await env.DB.prepare(
      "SELECT outcome_status FROM audit_log WHERE action = 'portfolio.refresh' AND subject = ?",
    )
      .bind(address)
      .first<{ outcome_status: number }>();
    expect(audit?.outcome_status).toBe(200);
  });

  it("shows a part that failed with its reason next to the parts that refreshed (207), cached data kept", async () => {
    await fake.reset();
    const address = randomAddress();
    await api("POST", "/api/wallets/", { address });
    await fake.wallet({ address, lamports: 1_000_000_000 });
    await fake.fail("rpc.getBalance", { status: 500 });
    const { cookie, csrf } = await session("/portfolio");
    const res = await ui("POST", `/portfolio/${address}/refresh`, { cookie, form: { _csrf: csrf } });
    expect(res.headers.get("location")).toBe("/portfolio?flash=portfolio_refresh_partial");
    const row = rowOf((await ui("GET", "/portfolio", { cookie })).text, address);
    expect(row).toMatch(/failed: Could not refresh/);
    await fake.reset();
  });

  it("refresh all answers with its summary and the run is shown; an unknown wallet is a flash, not a crash", async () => {
    await fake.reset();
    const { cookie, csrf } = await session("/portfolio");
    const all = await ui("POST", "/portfolio/refresh-all", { cookie, form: { _csrf: csrf } });
    expect(all.status).toBe(303);
    expect(all.headers.get("location")).toMatch(/flash=portfolio_refresh_all_(done|partial|running)/);
    const page = await ui("GET", "/portfolio", { cookie });
    expect(page.text).toMatch(/Last refresh-all: <b>(done|running)/);
    const unknown = await ui("POST", `/portfolio/${randomAddress()}/refresh`, { cookie, form: { _csrf: csrf } });
    expect(unknown.headers.get("location")).toBe("/portfolio?flash=portfolio_wallet_not_found");
    const bad = await ui("POST", "/portfolio/not-an-address/refresh", { cookie, form: { _csrf: csrf } });
    expect(bad.headers.get("location")).toBe("/portfolio?flash=portfolio_wallet_not_found");
  });

  it("a refresh without the CSRF token is refused", async () => {
    const cookie = await uiLogin();
    const res = await ui("POST", "/portfolio/refresh-all", { cookie, form: {} });
    expect(res.status).toBe(403);
  });
});
