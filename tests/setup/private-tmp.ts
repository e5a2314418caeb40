/**
 * Vitest setup file: every test file gets a private temporary folder as TMPDIR, removed when the
 * file ends, whether its tests passed or not. Tests and the processes they start (agents,
 * controllers, emulators inherit the environment) create their data folders with
 * `mkdtemp(tmpdir())`, so nothing a test writes outlives its file.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const base = process.env.BENCHFLEET_TEST_BASE_TMPDIR ?? tmpdir();
process.env.BENCHFLEET_TEST_BASE_TMPDIR = base;
const dir = mkdtempSync(join(base, "bf-test-"));
// as /tmp itself: tests that run a step as another user (nobody) reach their files through it
chmodSync(dir, 0o1777);
process.env.TMPDIR = dir;

afterAll(() => {
  process.env.TMPDIR = base;
  rmSync(dir, { recursive: true, force: true });
});
