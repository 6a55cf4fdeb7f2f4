import { exports } from "cloudflare:workers";
import { OPERATOR_TOKEN } from "./api";

/** Logs in with the operator token and GETs one dashboard page (HTML). */
export async function dashboardPage(path: string) {
  const login = await exports.default.fetch("https://walltrack.test/login", {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: OPERATOR_TOKEN }).toString(),
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const res = await exports.default.fetch(`https://walltrack.test${path}`, { headers: { cookie } });
  return { status: res.status, text: await res.text() };
}
