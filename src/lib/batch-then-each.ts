/**
 * Writes items as one atomic batch; when that fails (nothing of it landed), each item again on its own, so
 * one bad item never holds the others back. `settle` gets each item's outcome: null, or the error that failed
 * it (a lone item's is the batch's). The items must be idempotent: an item of a failed batch runs again.
 * Used by the SwapQueue's owed D1 steps and by the shared D1 writer.
 */
export async function batchThenEach<T>(
  items: T[],
  write: (items: T[]) => Promise<void>,
  settle: (item: T, error: unknown | null) => void,
): Promise<void> {
  if (items.length === 0) return;
  try {
    await write(items);
    for (const i of items) settle(i, null);
    return;
  } catch (err) {
    if (items.length === 1) {
      settle(items[0] as T, err);
      return;
    }
  }
  for (const i of items) {
    try {
      await write([i]);
      settle(i, null);
    } catch (err) {
      settle(i, err);
    }
  }
}
