import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ERROR_STATUS } from "../src/lib/errors";
import { api } from "./helpers/api";

/**
 * Issue 13: the OpenAPI document is usable as documentation. Every route has a summary; every example
 * (on a schema, a property, a parameter, a media type) validates against its own schema; the sample Swagger UI
 * builds for a request body (each property's example, else its default, else its first enum value) is
 * accepted by that body's schema; each error response's example names an error of that status; every
 * config field says what it means and its range.
 */
type Json = Record<string, any>;
let doc: Json;
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

beforeAll(async () => {
  doc = await (await exports.default.fetch("https://walltrack.test/openapi.json")).json();
});

/** The schema with every local $ref replaced by its component (recursion cut at depth 12). */
function deref(schema: unknown, depth = 0): any {
  if (Array.isArray(schema)) return schema.map((s) => deref(s, depth));
  if (!schema || typeof schema !== "object") return schema;
  const s = schema as Json;
  if (typeof s.$ref === "string") {
    if (depth > 12) return {};
    const name = s.$ref.replace("#/components/schemas/", "");
    return deref(doc.components.schemas[name], depth + 1);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) out[k] = k === "example" || k === "examples" ? v : deref(v, depth);
  return out;
}

const validator = (schema: unknown) => z.fromJSONSchema(deref(schema) as never);

function problems(schema: unknown, value: unknown): string | null {
  const r = validator(schema).safeParse(value);
  return r.success ? null : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

/** Every (where, schema, example) in a schema tree. */
function examplesIn(where: string, schema: unknown, out: [string, unknown, unknown][] = []) {
  if (!schema || typeof schema !== "object") return out;
  const s = deref(schema) as Json;
  if ("example" in s) out.push([where, s, s.example]);
  if (Array.isArray(s.examples)) for (const e of s.examples) out.push([where, s, e]);
  for (const [k, v] of Object.entries((s.properties ?? {}) as Json)) examplesIn(`${where}.${k}`, v, out);
  if (s.items) examplesIn(`${where}[]`, s.items, out);
  for (const key of ["anyOf", "oneOf", "allOf"] as const)
    for (const [i, v] of ((s[key] ?? []) as unknown[]).entries()) examplesIn(`${where}|${i}`, v, out);
  return out;
}

/** What Swagger UI shows as a body's example: each property's example, else default, else first enum. */
function sample(schema: unknown, depth = 0): unknown {
  const s = deref(schema) as Json;
  if ("example" in s) return s.example;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if ("default" in s) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  if ("const" in s) return s.const;
  const alt = s.anyOf ?? s.oneOf;
  if (Array.isArray(alt)) return sample(alt.find((a: Json) => a.type !== "null") ?? alt[0], depth + 1);
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((a: unknown) => sample(a, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
  if (type === "object" || s.properties) {
    const out: Json = {};
    for (const [k, v] of Object.entries((s.properties ?? {}) as Json)) if (depth < 8) out[k] = sample(v, depth + 1);
    return out;
  }
  if (type === "array") return depth < 8 && s.items ? [sample(s.items, depth + 1)] : [];
  if (type === "integer" || type === "number") return s.minimum ?? s.exclusiveMinimum ?? 0;
  if (type === "boolean") return true;
  return "string";
}

const operations = () =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] as Json })),
  );

describe("the OpenAPI document", () => {
  it("gives every route a summary", () => {
    const missing = operations()
      .filter((o) => !String(o.op.summary ?? "").trim())
      .map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(missing).toEqual([]);
  });

  it("has examples that validate against their own schemas (components, parameters, bodies, responses)", () => {
    const found: [string, unknown, unknown][] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) examplesIn(name, schema, found);
    for (const { path, method, op } of operations()) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of (op.parameters ?? []) as Json[]) {
        if ("example" in p) found.push([`${at} param ${p.name}`, p.schema, p.example]);
        examplesIn(`${at} param ${p.name}`, p.schema, found);
      }
      for (const [status, res] of Object.entries((op.responses ?? {}) as Json))
        for (const media of Object.values((res.content ?? {}) as Json))
          if ("example" in media) found.push([`${at} ${status}`, media.schema, media.example]);
    }
    expect(found.length).toBeGreaterThan(20);
    const bad = found.flatMap(([where, schema, example]) => {
      const p = problems(schema, example);
      return p ? [`${where}: ${JSON.stringify(example)} → ${p}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it("builds, for every JSON request body, a default example its own schema accepts", () => {
    const bad: string[] = [];
    for (const { path, method, op } of operations()) {
      const media = op.requestBody?.content?.["application/json"];
      if (!media?.schema) continue;
      const schema = media.schema;
      // Swagger UI pre-fills the media type's example when there is one, else builds it from the schema.
      const example = "example" in media ? media.example : sample(schema);
      const p = problems(schema, example);
      if (p) bad.push(`${method.toUpperCase()} ${path}: ${JSON.stringify(example)} → ${p}`);
    }
    expect(bad).toEqual([]);
  });

  it("names, in each error response's example, an error of that status", () => {
    const bad: string[] = [];
    for (const { path, method, op } of operations())
      for (const [status, res] of Object.entries((op.responses ?? {}) as Json)) {
        const code = Number(status);
        if (code < 400) continue;
        const media = res.content?.["application/json"];
        // Only the error envelope itself (a 503 of /health is its own health body).
        if (media?.schema?.$ref !== "#/components/schemas/Error") continue;
        const error = media.example?.error as keyof typeof ERROR_STATUS | undefined;
        if (!error || ERROR_STATUS[error] !== code)
          bad.push(`${method.toUpperCase()} ${path} ${status}: ${error ?? "no example"}`);
      }
    expect(bad).toEqual([]);
  });
});

describe("the config fields in the OpenAPI document", () => {
  it("describe every editable field with its meaning and its range, on the replace, the patch and the answer", () => {
    for (const name of ["ConfigReplace", "ConfigPatch", "ConfigDescribed"]) {
      const schema = deref(doc.components.schemas[name]);
      const props: Json =
        schema.properties ?? Object.assign({}, ...(schema.allOf ?? []).map((s: Json) => s.properties));
      expect(Object.keys(props).length, name).toBeGreaterThan(40);
      const undocumented = Object.entries(props)
        .filter(([k]) => !k.startsWith("helius_") || k === "helius_transaction_types")
        .filter(([k]) => k !== "updated_at")
        .filter(([, p]) => !/.{12,} Range: .+\./.test(String(p.description ?? "")))
        .map(([k]) => k);
      expect(undocumented, name).toEqual([]);
    }
    expect(deref(doc.components.schemas.ConfigReplace).properties.max_open_positions.description).toMatch(
      /Range: integer ≥ 1 and ≤ 1000\./,
    );
  });
});

describe("the examples Swagger UI pre-fills are accepted by the API itself", () => {
  const exampleOf = (path: string, method: string) =>
    doc.paths[path][method].requestBody.content["application/json"].example;

  it("POST /api/v1/wallets with its example adds the wallet (201, not 400)", async () => {
    const res = await api("POST", "/api/v1/wallets", exampleOf("/api/v1/wallets", "post"));
    expect(res.status).toBe(201);
  });

  it("PATCH /api/v1/config and a dry-run config import with their examples are accepted", async () => {
    expect((await api("PATCH", "/api/v1/config", exampleOf("/api/v1/config", "patch"))).status).toBe(200);
    const res = await api("POST", "/api/v1/config/import?dry_run=true", exampleOf("/api/v1/config/import", "post"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
