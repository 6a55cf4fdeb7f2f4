// Serves the demo's data (.wrangler/demo) again with its fake market, until Ctrl-C.
import { startLocalStack } from "./lib/local-stack.mjs";

const stack = await startLocalStack({ persistTo: ".wrangler/demo", fresh: false, quiet: false });
console.log(`WallTrack on ${stack.base} (docs: ${stack.base}/docs), token in .dev.vars. Ctrl-C to stop.`);
process.on("SIGINT", () => {
  stack.stop();
  process.exit(0);
});
await new Promise(() => {});
