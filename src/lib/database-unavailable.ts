import { DrizzleQueryError } from "drizzle-orm/errors";
import { errorMessage } from "./error-message";

/**
 * True when `err` is D1 failing to answer (network to the database lost, the database reset or
 * overloaded, a query that could not run), wherever drizzle wrapped it. A constraint violation is the
 * database answering, not failing: routes turn those into 409, and an unexpected one stays a 500 bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let sawD1 = false;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const msg = errorMessage(e);
    if (/constraint failed|SQLITE_CONSTRAINT/i.test(msg)) return false;
    if (
      e instanceof DrizzleQueryError ||
      /^D1_|D1_ERROR|D1 DB|Network connection lost|storage.*(reset|overloaded)/i.test(msg)
    )
      sawD1 = true;
  }
  return sawD1;
}
