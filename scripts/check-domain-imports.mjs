// npm run lint (after Biome): the domain is pure and owns its vocabulary (DESIGN §2, issue 10). A file under
// src/domain/ may import other domain files and libraries, never the relational model (src/db/), the upstream
// clients, the actors, the pipeline, the API or the Workers runtime. Fails (exit 1) naming each offending import.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const DOMAIN = join(ROOT, "src", "domain");
const FORBIDDEN_DIRS = ["src/db", "src/upstream", "src/pipeline", "src/api", "src/ops", "src/jobs", "durable-objects"];

/** Every module specifier a TypeScript file imports or re-exports (static, dynamic, type-only). */
export function specifiers(source) {
  const out = [];
  const re =
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\bimport\s+["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Why `spec`, imported by the domain file `file`, is not allowed; null when it is. */
export function violation(file, spec) {
  if (spec.startsWith("cloudflare:")) return "the Workers runtime";
  if (!spec.startsWith(".")) return null; // a library
  const target = relative(ROOT, resolve(join(file, ".."), spec))
    .split(sep)
    .join("/");
  const dir = FORBIDDEN_DIRS.find((d) => target === d || target.startsWith(`${d}/`));
  if (dir) return dir;
  if (!target.startsWith("src/domain/")) return `outside src/domain (${target})`;
  return null;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|mts|js|mjs)$/.test(name) ? [p] : [];
  });
}

export function check(dir = DOMAIN) {
  const problems = [];
  for (const file of walk(dir))
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      const why = violation(file, spec);
      if (why) problems.push(`${relative(ROOT, file)}: imports "${spec}" (${why})`);
    }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const problems = check();
  if (problems.length > 0) {
    console.error(`src/domain/ must not depend on the db, upstreams, actors or runtime:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log("domain imports: ok (nothing in src/domain/ imports src/db/, upstreams, actors or the runtime)");
}
