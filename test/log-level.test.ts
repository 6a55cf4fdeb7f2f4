import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { log, parseLogLevel, setLogLevel } from "../src/lib/logger";

const lines: { level: string; event: string }[] = [];
const spies: { mockRestore(): void }[] = [];

beforeEach(() => {
  lines.length = 0;
  for (const m of ["log", "warn", "error"] as const)
    spies.push(
      vi.spyOn(console, m).mockImplementation((line: unknown) => {
        lines.push(JSON.parse(String(line)));
      }),
    );
});
afterEach(() => {
  setLogLevel(null);
  for (const s of spies.splice(0)) s.mockRestore();
});

function writeAll() {
  log.debug("step_debug");
  log.info("step_info");
  log.warn("step_warn");
  log.error("step_error");
  return lines.map((l) => l.event);
}

describe("LOG_LEVEL", () => {
  it("the var (info in wrangler.toml) drops debug lines and keeps the rest", () => {
    expect(writeAll()).toEqual(["step_info", "step_warn", "step_error"]);
  });

  it("a lower or higher level set at run time moves the threshold", () => {
    setLogLevel("debug");
    expect(writeAll()).toEqual(["step_debug", "step_info", "step_warn", "step_error"]);
    lines.length = 0;
    setLogLevel("warn");
    expect(writeAll()).toEqual(["step_warn", "step_error"]);
    lines.length = 0;
    setLogLevel("error");
    expect(writeAll()).toEqual(["step_error"]);
  });

  it("reads a value in any case and spacing; unset means info; anything else is info and reported invalid", () => {
    expect(parseLogLevel(" WARN ")).toEqual({ level: "warn", invalid: false });
    expect(parseLogLevel("debug")).toEqual({ level: "debug", invalid: false });
    expect(parseLogLevel(undefined)).toEqual({ level: "info", invalid: false });
    expect(parseLogLevel("verbose")).toEqual({ level: "info", invalid: true });
    expect(parseLogLevel("")).toEqual({ level: "info", invalid: true });
    expect(parseLogLevel(3)).toEqual({ level: "info", invalid: true });
  });
});
