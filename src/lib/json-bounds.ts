/**
 * Bounds one parsed JSON value before it travels further (a Durable Object RPC, JSON.stringify, zod):
 * those are recursive and throw "Maximum call stack size exceeded" on a value nested a few thousand levels
 * deep, which would fail the whole delivery on every redelivery (issue 9, item 12). The depth is measured
 * without recursion, and the size only once the depth is known to be safe.
 */
export interface JsonBounds {
  maxDepth: number;
  maxBytes: number;
}

/** Why the value is out of bounds, or null when it is within them. */
export function jsonBoundsViolation(value: unknown, bounds: JsonBounds): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    if (depth > bounds.maxDepth) return `nested deeper than ${bounds.maxDepth} levels`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  const bytes = new TextEncoder().encode(JSON.stringify(value) ?? "").length;
  if (bytes > bounds.maxBytes) return `${bytes} bytes, above the ${bounds.maxBytes}-byte limit of one item`;
  return null;
}
