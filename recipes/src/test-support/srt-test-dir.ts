/**
 * A temporary srt-slurm directory for tests that plan from recipes they write: `recipes/` for the
 * recipes, and `configs/install-torchao.sh`, the setup script the lab's GB200 runner passes for
 * dynamo-sglang rows (lab-runner-srtctl.ts), which such a plan looks up. Removed after the tests of
 * the file or describe block that made it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export function srtTestDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "recipes"));
  mkdirSync(join(dir, "configs"));
  writeFileSync(join(dir, "configs", "install-torchao.sh"), "pip install torchao\n");
  return dir;
}
