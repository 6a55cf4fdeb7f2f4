import { errorChain } from "../lib/error-message";

/**
 * Detects a D1/SQLite constraint failure wherever the driver wrapped it (drizzle puts the D1 error in
 * `cause`), optionally on one column (`exit_strategies.name`). Used to turn a lost race on a key into
 * a 409 instead of a 500.
 */
export function isConstraintError(err: unknown, kind: "UNIQUE" | "FOREIGN KEY", column?: string): boolean {
  return errorChain(err).some((msg) => msg.includes(`${kind} constraint failed`) && (!column || msg.includes(column)));
}
