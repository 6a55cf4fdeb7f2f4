/** A thrown value's message (a non-Error as its string form), for logs and stored errors. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
