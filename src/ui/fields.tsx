import { Time } from "./format";

/**
 * A record (a job's detail, a status component's detail) as readable fields — "last delivery at: <time>" —
 * never as raw JSON: nested objects are flattened into dotted names, timestamps shown in the browser's zone.
 */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function flatten(value: unknown, prefix = "", out: [string, unknown][] = []): [string, unknown][] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix || "value", value]);
  return out;
}

const words = (key: string) => key.replace(/_/g, " ");

function Value(props: { v: unknown }) {
  const v = props.v;
  if (v == null || v === "") return <span class="muted">—</span>;
  if (typeof v === "string" && ISO.test(v)) return <Time iso={v} />;
  if (typeof v === "number") return <>{Number.isInteger(v) ? String(v) : v.toFixed(3)}</>;
  if (typeof v === "boolean") return <>{v ? "yes" : "no"}</>;
  if (Array.isArray(v))
    return v.length === 0 ? (
      <span class="muted">none</span>
    ) : (
      v
        .map((x) =>
          typeof x === "object" && x !== null
            ? flatten(x)
                .map(([k, y]) => `${words(k)} ${String(y)}`)
                .join(", ")
            : String(x),
        )
        .join("; ")
    );
  return <>{String(v)}</>;
}

/** `{ a: 1, b: { c: "x" } }` → "a: 1 · b.c: x" in one line of labelled fields. */
export function Fields(props: { data: unknown; limit?: number }) {
  let data: unknown = props.data;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return <span>{String(data).slice(0, props.limit ?? 300)}</span>;
    }
  }
  const fields = flatten(data).slice(0, props.limit ?? 30);
  if (fields.length === 0 || (data !== null && typeof data === "object" && Object.keys(data).length === 0))
    return <span class="muted">—</span>;
  return (
    <span class="fields">
      {fields.map(([k, v], i) => (
        <>
          {i > 0 ? " · " : ""}
          <span class="field">
            <span class="muted">{words(k)}:</span> <Value v={v} />
          </span>
        </>
      ))}
    </span>
  );
}
