import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "./database-unavailable";

/** Every error the API can answer with, and its one HTTP status (DESIGN §6). */
export const ERROR_STATUS = {
  BadRequest: 400,
  ValidationError: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RuleRefused: 422,
  TooManyRequests: 429,
  InternalError: 500,
  NotConfigured: 503,
  UpstreamUnavailable: 503,
  DatabaseUnavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: ErrorCode;
  detail: string;
  timestamp: string;
}

/** The one error type routes and services throw; `onError` turns it into the JSON envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  constructor(code: ErrorCode, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export const errorBody = (code: ErrorCode, detail: string): ErrorBody => ({
  error: code,
  detail,
  timestamp: new Date().toISOString(),
});

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "RuleRefused",
  429: "TooManyRequests",
  503: "UpstreamUnavailable",
};

/** The friendly answer to a D1 failure: the operator can act on it (retry), nothing internal is shown. */
export const DATABASE_UNAVAILABLE =
  "The database is temporarily unavailable. Your data is safe; please try again in a moment.";

/** Maps anything thrown to a safe envelope: no stack, no upstream body, no secret. */
export function toErrorResponse(err: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  if (err instanceof ApiError) return { status: err.status, body: errorBody(err.code, err.message) };
  if (err instanceof HTTPException) {
    const code = CODE_BY_STATUS[err.status] ?? "InternalError";
    const detail =
      err.status === 401
        ? "missing or invalid bearer token"
        : // @hono/zod-openapi refuses a JSON route's body sent without `content-type: application/json`.
          err.status === 415
          ? "the body must be sent with content-type: application/json"
          : err.message || code;
    return { status: ERROR_STATUS[code], body: errorBody(code, detail) };
  }
  if (isDatabaseUnavailable(err)) return { status: 503, body: errorBody("DatabaseUnavailable", DATABASE_UNAVAILABLE) };
  return { status: 500, body: errorBody("InternalError", "unexpected error; see the server log") };
}

/** Short, human zod message that names the offending field, e.g. `safety_threshold: Too big: expected number to be <=1`. */
export function formatZodIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "body"}: ${i.message}`)
    .join("; ");
}
