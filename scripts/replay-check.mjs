// npm run replay:check — runs the replay of the shipped samples twice and fails unless both runs exit 0
// and decide exactly the same (issue 14: "the same input gives the same decisions twice").
import { spawnSync } from "node:child_process";

const run = (i) => {
  const r = spawnSync("node", ["scripts/replay.mjs", "--json", ...process.argv.slice(2)], { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`replay run ${i} exited ${r.status}:\n${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout);
};
const a = run(1);
const b = run(2);
const same = JSON.stringify(a.decisions) === JSON.stringify(b.decisions);
console.log(`run 1 ${a.decisions_digest} · run 2 ${b.decisions_digest} · ${a.decisions.length} decisions`);
if (!same) {
  console.error("the two runs decided differently:");
  for (const d of a.decisions.filter((x) => !b.decisions.includes(x))) console.error(`  only in run 1: ${d}`);
  for (const d of b.decisions.filter((x) => !a.decisions.includes(x))) console.error(`  only in run 2: ${d}`);
  process.exit(1);
}
console.log("same decisions twice");
