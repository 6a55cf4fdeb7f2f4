import { z } from "@hono/zod-openapi";
import { ERROR_STATUS } from "../lib/errors";

/** The error envelope of DESIGN §6, shared by every route's OpenAPI description. */
export const ErrorSchema = z
  .object({
    error: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    detail: z.string(),
    timestamp: z.string(),
  })
  .openapi("Error");

export const errorResponses = (...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503)[]) =>
  Object.fromEntries(
    [...new Set([401, 503, ...statuses])].map((s) => [
      s,
      {
        description: errorDescription[s],
        content: { "application/json": { schema: ErrorSchema, example: errorExample[s] } },
      },
    ]),
  );

const errorDescription: Record<number, string> = {
  400: "Bad input (the detail names the field)",
  401: "Missing or wrong bearer token",
  403: "Forbidden",
  404: "Unknown id",
  409: "Conflict with the current state",
  413: "Body too large",
  415: "Body sent without content-type: application/json",
  422: "Refused by a rule",
  429: "Too many failed attempts from this address (see Retry-After)",
  503: "Not configured, or an upstream is unavailable",
};

/** The example of each error status names an error of that status (ERROR_STATUS), as the API answers it. */
const example = (error: keyof typeof ERROR_STATUS, detail: string) => ({
  error,
  detail,
  timestamp: "2026-11-21T10:09:28.123Z",
});
const errorExample: Record<number, ReturnType<typeof example>> = {
  400: example("ValidationError", "address: must be a base58 Solana address (32 bytes)"),
  401: example("Unauthorized", "missing or invalid bearer token"),
  403: example("Forbidden", "the webhook's authorization header does not match"),
  404: example("NotFound", "no such resource"),
  409: example("Conflict", "the resource is in a state that does not allow this"),
  413: example("PayloadTooLarge", "the body is larger than the limit"),
  415: example("UnsupportedMediaType", "send the body with content-type: application/json"),
  422: example("RuleRefused", "refused by a rule: the detail says which and why"),
  429: example("TooManyRequests", "too many failed attempts from this address; retry later"),
  503: example("UpstreamUnavailable", "an upstream (or the database) is unavailable"),
};

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  page_size: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
});

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({ items: z.array(item), total: z.number().int(), page: z.number().int(), page_size: z.number().int() })
    .openapi(name);

export const bearerSecurity = [{ bearerAuth: [] }];

/** "true"/"false"/"1"/"0" query flags (z.coerce.boolean would read "false" as true). */
export const queryBool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
