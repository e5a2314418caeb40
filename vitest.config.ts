import { defineConfig } from "vitest/config";

/**
 * Two projects. "suite" runs every test file in parallel workers. "timing" holds the wall-clock
 * tests (`*.timing.test.ts`: injected delays measured to the millisecond); it runs after "suite"
 * has finished (groupOrder) and one file at a time, so the other test files' CPU load on a small CI
 * machine is not measured as lateness.
 *
 * Every test gets one retry: a single scheduler stall of a shared 2-core host, or a browser
 * rendering a frame late, is not a defect; a wrong result fails twice. Tests that passed only on
 * their retry are listed at the end of the run (tests/setup/flaky-reporter.ts) so flakes stay
 * visible and get fixed.
 *
 * Each test file runs with a private TMPDIR that is removed when it ends (tests/setup/private-tmp.ts).
 */
const TIMING = "**/*.timing.test.ts";

export default defineConfig({
  resolve: { conditions: ["source"] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    retry: 1,
    reporters: ["default", "./tests/setup/flaky-reporter.ts"],
    setupFiles: ["tests/setup/private-tmp.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: [
            "shared/src/**/*.test.ts",
            "recipes/src/**/*.test.ts",
            "agent/src/**/*.test.ts",
            "controller/src/**/*.test.ts",
            "cli/src/**/*.test.ts",
            "tests/**/*.test.ts",
          ],
          exclude: [TIMING, "**/node_modules/**"],
          globalSetup: ["tests/setup/global-redis.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "timing",
          include: [TIMING],
          exclude: ["**/node_modules/**"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
