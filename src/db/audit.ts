import { redact } from "../lib/logger";

/**
 * The audit trail (issue 12): every operator action, API or dashboard, with who, what, on what, and the
 * state before and after. Values pass through the logger's redaction, so a secret never lands here.
 */
export interface AuditEntry {
  actor: string;
  channel: "api" | "dashboard";
  action: string;
  subject?: string | null;
  request?: unknown;
  outcome_status: number;
  before?: unknown;
  after?: unknown;
}

const MAX_JSON = 32_000;
const json = (v: unknown) => {
  if (v === undefined || v === null) return null;
  const text = JSON.stringify(redact(v));
  return text.length > MAX_JSON ? JSON.stringify({ truncated: true, prefix: text.slice(0, MAX_JSON) }) : text;
};

export async function recordAudit(d1: D1Database, e: AuditEntry): Promise<void> {
  await d1
    .prepare(
      "INSERT INTO audit_log (actor, channel, action, subject, request, outcome_status, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      e.actor,
      e.channel,
      e.action,
      e.subject ?? null,
      json(e.request),
      e.outcome_status,
      json(e.before),
      json(e.after),
    )
    .run();
}

/** Who, for an API call: the bearer token is the only operator credential; its short hash tells rotations apart. */
export async function tokenActor(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`audit:${token}`)));
  return `token:${Array.from(digest.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
