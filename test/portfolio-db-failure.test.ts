import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { testAddress } from "./helpers/addresses";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { faultyD1 } from "./helpers/faults";

async function callWith(db: D1Database, method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`https://walltrack.test${path}`, {
      method,
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, DB: db },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe("a D1 failure answers 503 with the friendly message", () => {
  it("a D1 failure on the wallet list answers 503 DatabaseUnavailable in the error envelope", async () => {
    const db = faultyD1(env.DB, { match: /from "wallet_info"/i });
    const res = await callWith(db.binding, "GET", "/api/wallets/");
    expect(res.status).toBe(503);
    expectErrorShape(res.body, "DatabaseUnavailable");
    expect(res.body.detail).toMatch(/temporarily unavailable.*try again/i);
    expect(JSON.stringify(res.body)).not.toMatch(/D1_ERROR|select|wallet_info|injected/i);
    expect(db.thrown()).toBe(1);
  });

  it("a D1 failure while creating a wallet answers 503 and a retry succeeds", async () => {
    const address = testAddress(155, 1);
    const db = faultyD1(env.DB, { match: /^insert into "wallet_info"/i });
    const res = await callWith(db.binding, "POST", "/api/wallets/", { address });
    expect(res.status).toBe(503);
    expectErrorShape(res.body, "DatabaseUnavailable");
    expect((await api("GET", `/api/wallets/${address}`)).status).toBe(404);
    expect((await callWith(db.binding, "POST", "/api/wallets/", { address })).status).toBe(201);
  });

  it("a constraint violation is not a database failure (a duplicate stays 409)", async () => {
    const address = testAddress(155, 2);
    expect((await api("POST", "/api/wallets/", { address })).status).toBe(201);
    const dup = await api("POST", "/api/wallets/", { address });
    expect(dup.status).toBe(409);
  });
});
