// Loads a TypeScript module of the project from a Node script (bundled by esbuild, a pinned dev dependency),
// so the demo and the benchmark share the payload builder the tests use instead of a JS copy.
import { mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";

export async function loadTs(entry) {
  mkdirSync(".wrangler/scripts", { recursive: true });
  const outfile = `.wrangler/scripts/${entry.replace(/[^a-z0-9]+/gi, "_")}.mjs`;
  buildSync({ entryPoints: [entry], outfile, bundle: true, format: "esm", platform: "node", logLevel: "error" });
  return import(pathToFileURL(outfile).href);
}
