import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { register } from "./load.js";

describe("benchfleet load --help", () => {
  it("names the closed-loop default of --request-rate as inf (it printed 'default: null')", () => {
    const program = new Command();
    register(program);
    const load = program.commands.find((c) => c.name() === "load")!;
    const help = load.helpInformation();
    expect(help).toMatch(
      /--request-rate <r>\s+inf \(closed loop\) or requests\/s with gamma arrivals\s+\(default: inf\)/,
    );
    expect(help).not.toContain("null");
    expect(load.opts().requestRate).toBe(Number.POSITIVE_INFINITY);
    load.parseOptions(["--request-rate", "12.5"]);
    expect(load.opts().requestRate).toBe(12.5);
  });
});
