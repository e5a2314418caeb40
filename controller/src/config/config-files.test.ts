import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readChangelogSelection } from "./config-files.js";

const repo = mkdtempSync(join(tmpdir(), "bf-changelog-"));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const git = (...a: string[]) =>
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: repo, encoding: "utf8" });
const entry = (key: string, pr: string) => `- config-keys: ["${key}"]\n  description: ["d"]\n  pr-link: ${pr}\n`;

describe("readChangelogSelection", () => {
  it("reads the added entries of a changelog in a folder of the repository (configs/perf-changelog.yaml)", () => {
    // the README's own example: `--changelog configs/perf-changelog.yaml`; the diff came back empty
    mkdirSync(join(repo, "configs"));
    const file = join(repo, "configs", "perf-changelog.yaml");
    git("init", "-q");
    git("commit", "-q", "--allow-empty", "-m", "before the changelog");
    writeFileSync(file, entry("dsr1-fp8-h200-sglang", "l1"));
    git("add", ".");
    git("commit", "-qm", "one");
    writeFileSync(file, `${entry("dsr1-fp8-h200-sglang", "l1")}\n${entry("gptoss-*", "l2")}`);
    const configKeys = ["dsr1-fp8-h200-sglang", "gptoss-fp4-h100-vllm", "gptoss-fp4-b200-trt"];

    // against the working tree
    expect(readChangelogSelection({ changelog: file, base: "HEAD", configKeys }).keys).toEqual([
      "gptoss-fp4-h100-vllm",
      "gptoss-fp4-b200-trt",
    ]);
    // between two revisions
    git("commit", "-qam", "two");
    expect(readChangelogSelection({ changelog: file, base: "HEAD~1", head: "HEAD", configKeys }).keys).toEqual([
      "gptoss-fp4-h100-vllm",
      "gptoss-fp4-b200-trt",
    ]);
    // the file itself added in the range: every entry counts
    expect(readChangelogSelection({ changelog: file, base: "HEAD~2", head: "HEAD", configKeys }).keys).toEqual([
      "dsr1-fp8-h200-sglang",
      "gptoss-fp4-h100-vllm",
      "gptoss-fp4-b200-trt",
    ]);
    // a deletion in the subfolder file is still refused, naming the line
    writeFileSync(file, entry("gptoss-*", "l2"));
    expect(() => readChangelogSelection({ changelog: file, base: "HEAD", configKeys })).toThrow(
      /HEAD:configs\/perf-changelog\.yaml:1:1: deleted or modified line/,
    );
  });
});
