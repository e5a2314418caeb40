/**
 * `plan --changelog` with `append-only` entries, over a git repository of our own master config and
 * changelog: only the points added since the base revision are planned, with no evals; what the
 * reference refuses (removed points, changes outside the entry, a new curve, a mixed sweep) is an
 * error at the changelog entry.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@benchfleet/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planFromFiles } from "./config-files.js";

const entry = (key: string, space: string, image = "img:1") => `
${key}:
  image: ${image}
  model: org/model
  model-prefix: dsr1
  runner: h200
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
${space}`;

const BASE_A = "      - { tp: 8, conc-list: [16, 64] }\n";
const BASE_B = "      - { tp: 4, conc-list: [8] }\n";

const CL_ENTRY = (key: string, extra = "") =>
  `- config-keys: [${key}]\n  description: ["x"]\n  pr-link: https://x/1\n${extra}`;

describe("append-only changelog plans", () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: dir, stdio: "pipe" });
  const write = (a: string, b: string, changelog: string) => {
    writeFileSync(join(dir, "m-master.yaml"), entry("a", a) + entry("b", b));
    writeFileSync(join(dir, "cl.yaml"), changelog);
  };
  const planHead = () =>
    planFromFiles({ config: [join(dir, "m-master.yaml")], changelog: join(dir, "cl.yaml"), base: "HEAD" });
  const problemsOf = (f: () => unknown): string[] => {
    try {
      f();
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.map((p) => `${p.line}: ${p.message}`);
      throw e;
    }
    throw new Error("expected a config error");
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bf-append-only-"));
    git("init", "-q");
    write(BASE_A, BASE_B, CL_ENTRY("a"));
    git("add", ".");
    git("commit", "-q", "-m", "base");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("plans only the points added to an existing curve, with no eval", () => {
    write(
      "      - { tp: 8, conc-list: [16, 32, 64, 128] }\n",
      BASE_B,
      CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n"),
    );
    const plan = planHead();
    expect(
      plan.deployments.map((d) => ({ tp: d.tp, concs: d.points.map((p) => p.concurrency), eval: d.eval })),
    ).toEqual([{ tp: 8, concs: [32, 128], eval: false }]);
    expect(plan.totals).toMatchObject({ points: 2, evals: 0 });
  });

  it("a new parallelism on an existing curve with its image runs whole", () => {
    write(
      `${BASE_A}      - { tp: 4, conc-list: [4, 8] }\n`,
      BASE_B,
      CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n"),
    );
    const plan = planHead();
    expect(plan.deployments.map((d) => [d.tp, d.points.map((p) => p.concurrency)])).toEqual([[4, [4, 8]]]);
  });

  it("refuses a removed point, a change to a key it does not name, and no added point", () => {
    write("      - { tp: 8, conc-list: [16, 128] }\n", BASE_B, CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n"));
    expect(problemsOf(planHead)).toEqual([
      "4: append-only may not remove existing points of a (fixed-seq-len 8192/1024, tp8 ep1): concurrency 64",
    ]);
    write(BASE_A, "      - { tp: 4, conc-list: [8, 16] }\n", CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n"));
    expect(problemsOf(planHead)).toEqual(["4: append-only changed configs its changelog entries do not name: b"]);
    write(BASE_A, BASE_B, CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n"));
    expect(problemsOf(planHead)).toEqual([
      "4: append-only added no load point: every head point is already in the base",
    ]);
  });

  it("refuses points whose curve's image changed", () => {
    writeFileSync(
      join(dir, "m-master.yaml"),
      entry("a", "      - { tp: 8, conc-list: [16, 64, 128] }\n", "img:2") + entry("b", BASE_B),
    );
    writeFileSync(join(dir, "cl.yaml"), CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n"));
    expect(problemsOf(planHead)).toEqual([
      "4: append-only may not remove or modify an existing configuration: a (fixed-seq-len 8192/1024, tp8 ep1)",
    ]);
  });

  it("refuses a sweep mixing append-only and regular entries, and append-only with eval fields", () => {
    write(BASE_A, BASE_B, CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n") + CL_ENTRY("b"));
    expect(problemsOf(planHead)).toEqual([
      "4: append-only entries cannot share a sweep with regular changelog entries",
    ]);
    write(BASE_A, BASE_B, CL_ENTRY("a") + CL_ENTRY("a", "  append-only: true\n  all-evals: true\n"));
    expect(problemsOf(planHead)).toEqual([
      "7: append-only cannot be combined with evals-only, all-evals or eval-min-prefill-ep",
    ]);
  });
});
