/** A thrown value's message (a non-Error as its string form), for logs and stored errors. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The messages of an error and of its causes, outermost first (drivers wrap the database's error in `cause`). */
export function errorChain(err: unknown, depth = 5): string[] {
  const out: string[] = [];
  for (let e: unknown = err; e && out.length < depth; e = (e as { cause?: unknown }).cause) out.push(errorMessage(e));
  return out;
}
