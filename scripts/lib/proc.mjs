// Process memory from /proc (Linux): the bench reports the workerd process's RSS, the process that holds the
// Worker and all its Durable Objects under `wrangler dev` (a child of the wrangler node process).
import { readdirSync, readFileSync } from "node:fs";

/** The parent pid of every live process. */
function parents() {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // stat: "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(name), ppid);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** `pid` and all its descendants. */
export function processTree(pid) {
  const byParent = new Map();
  for (const [child, parent] of parents()) {
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(child);
  }
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(byParent.get(p) ?? []));
  }
  return out;
}

/** Resident set size of one process in KiB, null if it is gone. */
export function rssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return null;
  }
};

/** RSS (MiB) of the workerd processes started under `pid` (wrangler dev), with their pids. */
export function workerdRss(pid) {
  const pids = processTree(pid).filter((p) => comm(p) === "workerd");
  const kib = pids.reduce((sum, p) => sum + (rssKiB(p) ?? 0), 0);
  return { pids, rss_mib: Math.round((kib / 1024) * 10) / 10 };
}

/** CPU time (user + system, ms) one process has used so far, null if it is gone. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the comm: state is 0, utime 11 and stime 12, in clock ticks (USER_HZ, 100 on Linux).
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU time (ms) of the workerd processes started under `pid` (wrangler dev): unlike a latency or a rate, it
 * hardly depends on what else the machine runs, so it compares runs taken on a busy machine. 10 ms resolution.
 */
export function workerdCpuMs(pid) {
  return processTree(pid)
    .filter((p) => comm(p) === "workerd")
    .reduce((sum, p) => sum + (cpuMs(p) ?? 0), 0);
}
