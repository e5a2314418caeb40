/** `benchfleet events` against a real controller: subscriptions the controller refuses end the command. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import { startTestController, type TestController, TOKENS } from "../helpers/controller.js";

describe("benchfleet events: unknown ids", () => {
  let c: TestController;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("an unknown sweep, or an unknown job with --logs: one line on stderr and exit 1 instead of following nothing forever", async () => {
    const conn = ["--controller", c.url, "--token", TOKENS.viewer];
    const [sweep, job] = await Promise.all([
      runCliAsync(["events", "--sweep", "no-such-sweep", ...conn]),
      runCliAsync(["events", "--job", "no-such-job", "--logs", ...conn]),
    ]);
    expect(sweep).toMatchObject({ code: 1, stdout: "" });
    expect(sweep.stderr.trim()).toBe("error: sweep no-such-sweep not found");
    expect(job).toMatchObject({ code: 1, stdout: "" });
    expect(job.stderr.trim()).toBe("error: job no-such-job not found; job-logs no-such-job not found");
  });
});
