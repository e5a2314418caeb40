/**
 * Names every test that passed only on its retry, at the end of the run, so a flake stays visible
 * in the CI log instead of disappearing into a green total (vitest's default reporter does not list
 * them). A flaky test is a defect to find, not a pass to forget.
 */
import { relative } from "node:path";
import type { Reporter, TestCase } from "vitest/node";

export default class FlakyReporter implements Reporter {
  private readonly flaky: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const d = testCase.diagnostic();
    if (testCase.result().state === "passed" && d?.flaky)
      this.flaky.push(
        `${testCase.project.name} ${relative(process.cwd(), testCase.module.moduleId)} > ${testCase.fullName} (retries: ${d.retryCount})`,
      );
  }

  onTestRunEnd(): void {
    if (this.flaky.length === 0) return;
    process.stdout.write(
      `\nFLAKY: ${this.flaky.length} test(s) passed only on a retry:\n${this.flaky.map((f) => `  ${f}\n`).join("")}`,
    );
  }
}
