import { evictDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { mint, positionRow, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";

/**
 * Issue 9 item 8: a manual exit is idempotent. A retried request or a double-submitted dashboard form
 * (same Idempotency-Key / same form nonce) sells once and answers the same order.
 */
const BASE = "https://walltrack.test";
const exit = (id: string, body: unknown, key?: string) =>
  api("POST", `/api/v1/positions/${id}/exit`, body, key === undefined ? {} : { "idempotency-key": key });
const sells = async (id: string) => (await ordersOf(id)).filter((o) => o.side === "sell");
const amountIs = (id: string, amount: string) =>
  waitFor(async () => ((await positionRow(id))?.current_amount === amount ? true : null));

async function priced(tag: string) {
  const m = mint(tag);
  await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
  return openPosition(m, { entry_price_usd: 1 }); // 1000 tokens = "1000000000"
}

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, simulated_slippage_bps: 100 });
});

describe("manual exit with an Idempotency-Key (API)", () => {
  it("the same key sent twice sells once and answers the same order", async () => {
    const { id } = await priced("IDA");
    const first = await exit(id, { percent: 50 }, "retry-key-1");
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ position_id: id, amount: "500000000", percent: 50 });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    await amountIs(id, "500000000");

    const retry = await exit(id, { percent: 50 }, "retry-key-1");
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await sells(id)).toHaveLength(1);
    expect((await positionRow(id))?.current_amount).toBe("500000000");
  });

  it("the same key sent twice concurrently sells once", async () => {
    const { id } = await priced("IDC");
    const [a, b] = await Promise.all([exit(id, { percent: 50 }, "race-key"), exit(id, { percent: 50 }, "race-key")]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.order_id).toEqual(expect.any(String));
    expect(b.body).toEqual(a.body);
    await amountIs(id, "500000000");
    expect(await sells(id)).toHaveLength(1);
  });

  it("two different keys sell twice (50 % then 50 % of the rest)", async () => {
    const { id } = await priced("IDD");
    const a = await exit(id, { percent: 50 }, "key-a");
    await amountIs(id, "500000000");
    const b = await exit(id, { percent: 50 }, "key-b");
    expect(b.status).toBe(202);
    expect(b.body.order_id).not.toBe(a.body.order_id);
    expect(b.body.amount).toBe("250000000");
    await amountIs(id, "250000000");
    expect(await sells(id)).toHaveLength(2);
  });

  it("the same key with a different body answers 409 and sells nothing more", async () => {
    const { id } = await priced("IDX");
    expect((await exit(id, { percent: 50 }, "reused-key")).status).toBe(202);
    await amountIs(id, "500000000");
    const other = await exit(id, { percent: 100 }, "reused-key");
    expect(other.status).toBe(409);
    expectErrorShape(other.body, "Conflict");
    expect(other.body.detail).toMatch(/Idempotency-Key/);
    expect(other.body.detail).toMatch(/50/);
    expect(await sells(id)).toHaveLength(1);
    // An omitted body means 100 %: the same as an explicit 100.
    expect((await exit(id, undefined, "full-key")).status).toBe(202);
    expect((await exit(id, { percent: 100 }, "full-key")).headers.get("idempotent-replayed")).toBe("true");
  });

  it("a retry after the full exit closed the position replays the answer instead of 409", async () => {
    const { id } = await priced("IDF");
    const first = await exit(id, { percent: 100 }, "close-key");
    expect(first.status).toBe(202);
    await waitFor(async () => ((await positionRow(id))?.status === "closed" ? true : null));
    const retry = await exit(id, { percent: 100 }, "close-key");
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    // Without the key, or with a new one, a closed position is still a conflict.
    expect((await exit(id, { percent: 100 })).status).toBe(409);
    expect((await exit(id, { percent: 100 }, "new-key")).status).toBe(409);
    expect(await sells(id)).toHaveLength(1);
  });

  it("the key survives the actor's eviction", async () => {
    const { id, actor } = await priced("IDE");
    const first = await exit(id, { percent: 30 }, "evict-key");
    await amountIs(id, "700000000");
    await evictDurableObject(actor);
    const retry = await exit(id, { percent: 30 }, "evict-key");
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(await sells(id)).toHaveLength(1);
  });

  it("a malformed Idempotency-Key answers 400 in the error envelope and sells nothing", async () => {
    const { id } = await priced("IDB");
    for (const key of ["", "x".repeat(256), "has space", "tab\there"]) {
      const r = await exit(id, { percent: 50 }, key);
      expect(r.status, JSON.stringify(key)).toBe(400);
      expectErrorShape(r.body, "ValidationError");
      expect(r.body.detail).toMatch(/idempotency-key/i);
    }
    expect(await sells(id)).toHaveLength(0);
  });

  it("documents the header in /openapi.json", async () => {
    const spec = (await api("GET", "/openapi.json")).body;
    const params = spec.paths["/api/v1/positions/{id}/exit"].post.parameters as { name: string; in: string }[];
    expect(params).toContainEqual(expect.objectContaining({ name: "idempotency-key", in: "header" }));
    expect(spec.paths["/api/v1/positions/{id}/exit"].post.responses["202"].headers).toHaveProperty(
      "Idempotent-Replayed",
    );
  });
});

describe("manual exit from the dashboard", () => {
  async function ui(path: string, opts: { cookie?: string; form?: Record<string, string> } = {}) {
    const res = await exports.default.fetch(`${BASE}${path}`, {
      method: opts.form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        ...(opts.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }
  async function login() {
    const res = await ui("/login", { form: { token: OPERATOR_TOKEN } });
    return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  }
  /** The fields of the "Sell <percent> %" form of position `id` in the rendered page. */
  function sellForm(html: string, id: string, percent: number): Record<string, string> {
    const forms = html.match(/<form[^>]*>[\s\S]*?<\/form>/g) ?? [];
    const form = forms.find((f) => f.includes(`/positions/${id}/exit`) && f.includes(`value="${percent}"`));
    if (!form) throw new Error(`no Sell ${percent} % form for ${id}`);
    const fields: Record<string, string> = {};
    for (const m of form.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
      fields[m[1] as string] = m[2] as string;
    return fields;
  }

  it("a double-submitted sell form sells once", async () => {
    const { id } = await priced("IDU");
    const cookie = await login();
    // The form that sells is on the confirmation page (step 2 after choosing the percentage).
    const page = await ui(`/positions/${id}/exit?percent=50`, { cookie });
    const form = sellForm(page.text, id, 50);
    expect(form._nonce).toMatch(/^[0-9a-f-]{36}$/);

    const first = await ui(`/positions/${id}/exit`, { cookie, form });
    const second = await ui(`/positions/${id}/exit`, { cookie, form });
    for (const r of [first, second]) {
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).not.toContain("err=1");
    }
    await amountIs(id, "500000000");
    expect(await sells(id)).toHaveLength(1);
    expect(decodeURIComponent(second.headers.get("location") ?? "").replace(/\+/g, " ")).toContain("already");

    // The page rendered again carries fresh nonces: a new click is a new sale.
    const again = sellForm((await ui(`/positions/${id}/exit?percent=50`, { cookie })).text, id, 50);
    expect(again._nonce).not.toBe(form._nonce);
    await ui(`/positions/${id}/exit`, { cookie, form: again });
    await amountIs(id, "250000000");
    expect(await sells(id)).toHaveLength(2);
  });

  it("a sell form without its nonce is refused and sells nothing", async () => {
    const { id } = await priced("IDN");
    const cookie = await login();
    const { _nonce: _n, ...form } = sellForm((await ui(`/positions/${id}/exit?percent=100`, { cookie })).text, id, 100);
    for (const bad of [form, { ...form, _nonce: "" }, { ...form, _nonce: "x".repeat(300) }]) {
      const r = await ui(`/positions/${id}/exit`, { cookie, form: bad });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toContain("flash=form_expired");
    }
    expect(await sells(id)).toHaveLength(0);
    expect((await env.POSITION_ACTOR.getByName(id).status()).position_status).toBe("open");
  });
});
