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
      { description: errorDescription[s], content: { "application/json": { schema: ErrorSchema } } },
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
