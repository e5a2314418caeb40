/** The changelog diff read from git: files git cannot compare are named, never read as "no new entries". */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readChangelogSelection } from "./config-files.js";

const ENTRY = (key: string) => `- config-keys: [${key}]\n  description: ["x"]\n  pr-link: https://x/1\n`;

describe("readChangelogSelection", () => {
  const dir = mkdtempSync(join(tmpdir(), "bf-changelog-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: dir, stdio: "pipe" });
  git("init", "-q");
  writeFileSync(join(dir, "cl.yaml"), ENTRY("a"));
  git("add", "cl.yaml");
  git("commit", "-q", "-m", "init");
  const keys = ["a", "b"];

  it("reads the entries added since --base", () => {
    writeFileSync(join(dir, "cl.yaml"), ENTRY("a") + ENTRY("b"));
    expect(readChangelogSelection({ changelog: join(dir, "cl.yaml"), base: "HEAD", configKeys: keys }).keys).toEqual([
      "b",
    ]);
  });

  it("a missing changelog is named (was a raw ENOENT, exit 1)", () => {
    expect(() => readChangelogSelection({ changelog: join(dir, "nope.yaml"), base: "HEAD", configKeys: keys })).toThrow(
      `changelog not found: ${join(dir, "nope.yaml")}`,
    );
  });

  it("an untracked changelog is refused (git diff shows nothing for it: its entries were silently none)", () => {
    writeFileSync(join(dir, "new.yaml"), ENTRY("b"));
    expect(() => readChangelogSelection({ changelog: join(dir, "new.yaml"), base: "HEAD", configKeys: keys })).toThrow(
      `changelog ${join(dir, "new.yaml")} is not tracked by git (git add it to compare it with HEAD)`,
    );
    git("add", "new.yaml");
    expect(readChangelogSelection({ changelog: join(dir, "new.yaml"), base: "HEAD", configKeys: keys }).keys).toEqual([
      "b",
    ]);
  });
});
