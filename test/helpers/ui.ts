import { exports } from "cloudflare:workers";
import { OPERATOR_TOKEN } from "./api";

export const UI_BASE = "https://walltrack.test";

/** One dashboard request (no redirects followed), optionally with a cookie, a form and a client address. */
export async function ui(
  method: string,
  path: string,
  opts: { cookie?: string; form?: Record<string, string>; ip?: string } = {},
) {
  const res = await exports.default.fetch(`${UI_BASE}${path}`, {
    method,
    redirect: "manual",
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      ...(opts.ip ? { "cf-connecting-ip": opts.ip } : {}),
    },
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Logs in with the operator token; returns the `name=value` cookie pair. */
export async function uiLogin(ip?: string): Promise<string> {
  const res = await ui("POST", "/login", { form: { token: OPERATOR_TOKEN }, ip });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

export const csrfOf = (html: string) => {
  const m = /name="_csrf" value="([0-9a-f]{64})"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF field in the page");
  return m[1];
};

export async function uiSession(page = "/", ip?: string) {
  const cookie = await uiLogin(ip);
  const res = await ui("GET", page, { cookie, ip });
  return { cookie, csrf: csrfOf(res.text) };
}
