import { env as workerEnv } from "cloudflare:workers";

/**
 * Structured JSON logs `{event, level, ts, ...fields}`. Event names are `entity_action` in the
 * past tense (`signal_received`, `position_closed`).
 *
 * Redaction, two ways (DESIGN §6: no secret ever reaches a log line):
 * - by name: a field whose name is a known secret name (OPERATOR_TOKEN, authorization, api keys,
 *   private keys, passwords, cookies…, any case or separator) is replaced. Only known names: a
 *   substring rule such as "contains token" blanked harmless fields (`token_metadata_looked_up`,
 *   `token_mint`) and made logs useless.
 * - by value: the configured secrets' values (raw and URL-encoded) are scrubbed from every string,
 *   wherever they appear (an error message quoting a URL or a header), plus `api-key=` query
 *   parameters and `Bearer` credentials. The values come from the Worker's env (read once, lazily, so
 *   Durable Objects and crons are covered without an HTTP request first) and from `registerSecrets`.
 */
type Level = "debug" | "info" | "warn" | "error";

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let minRank: number | null = null;

/**
 * The lowest level written, from the `LOG_LEVEL` var (debug | info | warn | error; default info), read once.
 * Lines below it cost nothing: they are dropped before redaction and serialisation, which is most of a log
 * line's price and was paid on every delivery by the hot path's step-by-step lines.
 */
function threshold(): number {
  if (minRank !== null) return minRank;
  let raw: unknown;
  try {
    raw = (workerEnv as unknown as Record<string, unknown>).LOG_LEVEL;
  } catch {
    // Outside the Workers runtime there is no env: the default applies.
  }
  const { level, invalid } = parseLogLevel(raw);
  minRank = RANK[level];
  if (invalid)
    console.warn(
      JSON.stringify({
        event: "log_level_invalid",
        level: "warn",
        ts: new Date().toISOString(),
        value: String(raw).slice(0, 20),
        using: "info",
      }),
    );
  return minRank;
}

/** The level a `LOG_LEVEL` value names (any case, spaces trimmed); unset is info, anything else info and invalid. */
export function parseLogLevel(raw: unknown): { level: Level; invalid: boolean } {
  const wanted = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (wanted in RANK) return { level: wanted as Level, invalid: false };
  return { level: "info", invalid: raw !== undefined };
}

/** Sets the lowest level written (tests, scripts); `null` goes back to the `LOG_LEVEL` var. */
export function setLogLevel(level: Level | null): void {
  minRank = level === null ? null : RANK[level];
}

const SECRET_ENV_NAMES = [
  "OPERATOR_TOKEN",
  "HELIUS_WEBHOOK_SECRET",
  "HELIUS_API_KEY",
  "JUPITER_API_KEY",
  "WALLET_PRIVATE_KEY",
  "FUNDING_WALLET_PRIVATE_KEY",
  "TELEGRAM_BOT_TOKEN",
  "NOTIFY_WEBHOOK_SECRET",
] as const;

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Field names (lower case, letters and digits only) whose value is a secret. */
const SECRET_NAMES = new Set([
  ...SECRET_ENV_NAMES.map((n) => normalize(n)),
  "authorization",
  "proxyauthorization",
  "authheader",
  "apikey",
  "xapikey",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "bearertoken",
  "authtoken",
  "sessiontoken",
  "csrftoken",
  "csrf",
  "token", // a bare "token" is the dashboard login field (the operator token)
  "password",
  "passphrase",
  "secret",
  "privatekey",
  "secretkey",
  "mnemonic",
  "cookie",
  "setcookie",
]);
/** …and names ending like these (`client_secret`, `webhook_secret`, `jupiterApiKey`, `signer_private_key`). */
const SECRET_SUFFIXES = ["secret", "password", "apikey", "privatekey", "secretkey", "authorization", "accesstoken"];

export function isSecretFieldName(name: string): boolean {
  const n = normalize(name);
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

const secretValues = new Set<string>();
let envRegistered = false;

/** Registers the values of the secret env vars so that they are scrubbed wherever they appear. */
export function registerSecrets(env: Partial<Record<string, unknown>>): void {
  for (const name of SECRET_ENV_NAMES) {
    const v = env[name];
    // Very short values would scrub ordinary text; a real secret is never that short.
    if (typeof v !== "string" || v.length < 6) continue;
    secretValues.add(v);
    const encoded = encodeURIComponent(v);
    if (encoded !== v) secretValues.add(encoded);
  }
}

function ensureEnvRegistered() {
  if (envRegistered) return;
  envRegistered = true;
  try {
    registerSecrets(workerEnv as unknown as Record<string, unknown>);
  } catch {
    // Outside the Workers runtime there is no env: only explicitly registered values are scrubbed.
  }
}

function scrub(text: string): string {
  let out = text;
  for (const s of secretValues) if (out.includes(s)) out = out.split(s).join("[redacted]");
  return out.replace(/([?&]api-key=)[^&\s"]+/gi, "$1[redacted]").replace(/(\bbearer\s+)[^\s",;]+/gi, "$1[redacted]");
}

export function redact(value: unknown, depth = 0): unknown {
  ensureEnvRegistered();
  if (typeof value === "string") return scrub(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretFieldName(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

function emit(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < threshold()) return;
  // The whole line is scrubbed once more: a value may have been built from several fields.
  const line = scrub(JSON.stringify({ event, level, ts: new Date().toISOString(), ...(redact(fields) as object) }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  debug: (event: string, fields?: Record<string, unknown>) => emit("debug", event, fields),
  info: (event: string, fields?: Record<string, unknown>) => emit("info", event, fields),
  warn: (event: string, fields?: Record<string, unknown>) => emit("warn", event, fields),
  error: (event: string, fields?: Record<string, unknown>) => emit("error", event, fields),
};
