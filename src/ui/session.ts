import type { Context } from "hono";
import { deleteCookie, getCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { safeEqual } from "../lib/auth";

/**
 * Dashboard session: a cookie holding `walltrack-dashboard.v1.<issued-at ms>`, HMAC-signed (hono's signed
 * cookie, HMAC-SHA256) with OPERATOR_TOKEN as the key. The token itself never leaves the server; rotating
 * OPERATOR_TOKEN logs every session out. The CSRF token is an HMAC of the raw cookie value, so it is
 * per session and needs no server-side storage.
 */
export const SESSION_COOKIE = "wt_session";
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const LABEL = "walltrack-dashboard.v1";
const CLOCK_SKEW_MS = 60_000;
const SESSION_VALUE = /^walltrack-dashboard\.v1\.(\d{1,16})\.(\d{1,9})$/;

const isHttps = (c: Context) => new URL(c.req.url).protocol === "https:";

/**
 * Server-side revocation (issue 12): each cookie carries the session generation it was issued in; logout
 * bumps the generation, so every earlier cookie is refused even if it was copied. No row = generation 0.
 */
export async function sessionGeneration(d1: D1Database): Promise<number> {
  const row = await d1.prepare("SELECT generation FROM dashboard_session WHERE id = 1").first<{ generation: number }>();
  return row?.generation ?? 0;
}

export async function revokeSessions(d1: D1Database): Promise<void> {
  await d1
    .prepare(
      `INSERT INTO dashboard_session (id, generation, updated_at) VALUES (1, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       ON CONFLICT (id) DO UPDATE SET generation = generation + 1, updated_at = excluded.updated_at`,
    )
    .run();
}

export async function startSession(
  c: Context,
  secret: string,
  now: number = Date.now(),
  generation = 0,
): Promise<void> {
  await setSignedCookie(c, SESSION_COOKIE, `${LABEL}.${now}.${generation}`, secret, {
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
    path: "/",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
}

/** Parses `<label>.<issued-at>.<generation>`, checks the age and the generation; the signature is already verified. */
export function sessionValueValid(value: string, now: number = Date.now(), generation = 0): boolean {
  const m = SESSION_VALUE.exec(value);
  if (!m) return false;
  const issued = Number(m[1]);
  if (Number(m[2]) !== generation) return false;
  return issued <= now + CLOCK_SKEW_MS && now - issued < SESSION_TTL_MS;
}

/** The raw (signed) cookie value of a valid session of the current generation, or null. */
export async function validSession(
  c: Context<{ Bindings: Env; Variables: any }>,
  secret: string,
): Promise<string | null> {
  const value = await getSignedCookie(c, secret, SESSION_COOKIE);
  if (typeof value !== "string") return null;
  if (!sessionValueValid(value, Date.now(), await sessionGeneration(c.env.DB))) return null;
  return getCookie(c, SESSION_COOKIE) ?? null;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)));
  return Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const csrfToken = (secret: string, rawSession: string) => hmacHex(secret, `csrf:${rawSession}`);

export async function csrfValid(secret: string, rawSession: string, submitted: unknown): Promise<boolean> {
  if (typeof submitted !== "string" || submitted.length === 0) return false;
  return safeEqual(submitted, await csrfToken(secret, rawSession));
}
