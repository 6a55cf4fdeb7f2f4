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

const isHttps = (c: Context) => new URL(c.req.url).protocol === "https:";

export async function startSession(c: Context, secret: string, now: number = Date.now()): Promise<void> {
  await setSignedCookie(c, SESSION_COOKIE, `${LABEL}.${now}`, secret, {
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

/** Parses `<label>.<issued-at>` and checks the age; the signature has already been verified. */
export function sessionValueValid(value: string, now: number = Date.now()): boolean {
  const prefix = `${LABEL}.`;
  if (!value.startsWith(prefix)) return false;
  const issuedText = value.slice(prefix.length);
  if (!/^\d{1,16}$/.test(issuedText)) return false;
  const issued = Number(issuedText);
  return issued <= now + CLOCK_SKEW_MS && now - issued < SESSION_TTL_MS;
}

/** The raw (signed) cookie value of a valid session, or null. */
export async function validSession(c: Context, secret: string): Promise<string | null> {
  const value = await getSignedCookie(c, secret, SESSION_COOKIE);
  if (typeof value !== "string" || !sessionValueValid(value)) return null;
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
