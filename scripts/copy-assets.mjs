// Copies the dashboard's browser assets out of their npm packages into public/vendor/, the Workers
// static assets folder ([assets] in wrangler.toml), so the Worker serves them itself: no CDN, works
// offline. Runs on `npm ci` (postinstall), before dev/test, and from vitest.config.ts. The copies are
// not committed (.gitignore): the pinned versions in package-lock.json are the source of truth.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

/** [package file under node_modules, name under public/vendor] */
export const VENDOR_FILES = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"],
];

export function copyAssets(root = ROOT) {
  for (const [from, to] of VENDOR_FILES) {
    const dest = path.join(root, "public", "vendor", to);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(path.join(root, "node_modules", from), dest);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) copyAssets();
