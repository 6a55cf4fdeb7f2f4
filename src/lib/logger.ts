/**
 * Structured JSON logs `{event, level, ts, ...fields}`. Event names are `entity_action` in the
 * past tense (`signal_received`, `position_closed`). Values of secret-looking keys are replaced,
 * and any registered secret value is scrubbed from every string, so a secret never reaches a log line.
 */
type Level = "debug" | "info" | "warn" | "error";

const SECRET_KEY = /secret|token|private|api[-_]?key|authorization|password/i;
const secretValues = new Set<string>();

/** Registers the values of the secret env vars so that they are scrubbed wherever they appear. */
export function registerSecrets(env: Partial<Record<string, unknown>>): void {
  for (const name of [
    "OPERATOR_TOKEN",
    "HELIUS_WEBHOOK_SECRET",
    "HELIUS_API_KEY",
    "JUPITER_API_KEY",
    "WALLET_PRIVATE_KEY",
    "FUNDING_WALLET_PRIVATE_KEY",
  ]) {
    const v = env[name];
    if (typeof v === "string" && v.length >= 6) secretValues.add(v);
  }
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    let out = value;
    for (const s of secretValues) if (out.includes(s)) out = out.split(s).join("[redacted]");
    return out.replace(/([?&]api-key=)[^&\s"]+/gi, "$1[redacted]");
  }
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

function emit(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ event, level, ts: new Date().toISOString(), ...(redact(fields) as object) });
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
