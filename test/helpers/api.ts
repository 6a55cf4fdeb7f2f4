import { env, exports } from "cloudflare:workers";

export const OPERATOR_TOKEN = "test-operator-token";

/** Calls the Worker's own fetch handler (the `main` module) as an operator would. */
export async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(`https://walltrack.test${path}`, {
    method,
    headers: {
      authorization: `Bearer ${OPERATOR_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json as any, headers: res.headers };
}

export function expectErrorShape(body: unknown, error?: string) {
  const b = body as { error?: unknown; detail?: unknown; timestamp?: unknown };
  if (typeof b?.error !== "string" || typeof b.detail !== "string" || typeof b.timestamp !== "string")
    throw new Error(`not a DESIGN §6 error body: ${JSON.stringify(body)}`);
  if (Number.isNaN(Date.parse(b.timestamp))) throw new Error(`timestamp is not ISO: ${b.timestamp}`);
  if (error && b.error !== error) throw new Error(`expected error ${error}, got ${b.error}: ${b.detail}`);
}

/**
 * Runs `fn` while the Worker sees `overrides` in its env, then restores it. For tests that hold an upstream
 * call open while they act: the 400 ms UPSTREAM_TIMEOUT_MS of the test config would otherwise race the test's
 * own steps on a loaded machine, so such a test raises it for its duration instead of relying on speed.
 */
export async function withEnv<T>(overrides: Partial<Record<keyof Env, string>>, fn: () => Promise<T>): Promise<T> {
  const e = env as unknown as Record<string, unknown>;
  const before = Object.fromEntries(Object.keys(overrides).map((k) => [k, e[k]]));
  Object.assign(e, overrides);
  try {
    return await fn();
  } finally {
    Object.assign(e, before);
  }
}
