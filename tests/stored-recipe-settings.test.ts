/**
 * Presets reach real launches: a sweep stores the presets that apply to each deployment when it is
 * created, and a real agent process (process launcher) spawns the engine with the stored flags and
 * env — also when the preset file changed on disk after the sweep was made.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobIdFor } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import { startTestController, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

const PRESET = (batched: number) => `family: testfam
moe: false
rules:
  - engine: vllm
    note: set by the test
    flags: { max-num-batched-tokens: ${batched}, enable-prefix-caching: true }
    env: { TESTFAM_PRESET: "stored" }
`;

// stands in for the engine: records its argv and env, then exits (the attempt fails; the test reads the record)
const FAKE_VLLM = `#!/bin/sh
out="$BF_TEST_RECORD"
env > "$out.env"
printf '%s\\n' "$@" > "$out.argv.tmp" && mv "$out.argv.tmp" "$out.argv"
exit 3
`;

describe("presets stored with the deployment reach the spawned engine", () => {
  let c: TestController;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-stored-settings-"));
    mkdirSync(join(dir, "recipes"));
    c = await startTestController(inject("redisUrl"), { config: { recipesDir: join(dir, "recipes"), jobAttempts: 1 } });
  });
  afterAll(async () => c?.stop());

  it("a real agent launches with the flags and env of the preset stored at sweep creation", async () => {
    writeFileSync(join(dir, "recipes", "testfam.yaml"), PRESET(8192));
    const run = mkdtempSync(join(dir, "run-"));
    const d = {
      ...makeDeployment({ seed: `stored-settings-${run}`, sku: "h100", phaseTimeoutS: 30 }),
      model: "example/testfam-8b",
      modelPrefix: "testfam",
      framework: "vllm",
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "stored", deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    const jobId = jobIdFor(sweepId, d.fingerprint);
    const job = await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer);
    expect(job.body.deployment.recipeSettings.family.rules[0].flags["max-num-batched-tokens"]).toBe(8192);
    // the preset is edited after the sweep was made: the launch keeps what was stored
    writeFileSync(join(dir, "recipes", "testfam.yaml"), PRESET(1111));

    const bin = join(run, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "vllm"), FAKE_VLLM);
    chmodSync(join(bin, "vllm"), 0o755);
    const record = join(run, "launch");
    const child = spawnCli(
      [
        "agent",
        "start",
        "--controller",
        c.url.replace(/^http/, "ws"),
        "--token",
        TOKENS.enrol,
        "--agent-id",
        `stored-settings-${run.slice(-6)}`,
        "--emulate-sku",
        "h100",
        "--emulate-ip",
        randomLoopback(),
        "--launcher",
        "process",
        "--data-dir",
        join(run, "agent"),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BF_TEST_RECORD: record },
      },
    );
    let stderr = "";
    child.stderr!.on("data", (b) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      await until(() => existsSync(`${record}.argv`), 40_000, `the engine was spawned (agent: ${stderr.slice(-2000)})`);
      const argv = readFileSync(`${record}.argv`, "utf8").trim().split("\n");
      expect(argv[0]).toBe("serve");
      expect(argv[1]).toBe("example/testfam-8b");
      const at = argv.indexOf("--max-num-batched-tokens");
      expect(at).toBeGreaterThan(0);
      expect(argv[at + 1]).toBe("8192");
      expect(argv).toContain("--enable-prefix-caching");
      expect(readFileSync(`${record}.env`, "utf8")).toMatch(/^TESTFAM_PRESET=stored$/m);
    } finally {
      await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, {}, TOKENS.operator);
      child.kill("SIGTERM");
      await exited;
    }
  }, 90_000);
});
