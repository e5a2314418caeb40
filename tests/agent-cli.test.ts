/**
 * `benchfleet agent …` as a real child process: discover prints JSON, bad flags fail in one line,
 * and `agent start --emulate-sku` registers with the real controller, runs a job, and on SIGTERM
 * stops cleanly.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, spawnCli } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

describe("benchfleet agent CLI", () => {
  it("discover --json reports host, GPUs and the SKU verdict", () => {
    const r = runCli(["agent", "discover", "--json"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.host.hostname).toBeTruthy();
    expect(Array.isArray(d.gpus)).toBe(true);
    // this machine has no GPU tool: reported as unknown with the reason, not guessed
    if (d.gpuTool === "none") expect(d.sku).toEqual({ sku: "unknown", reason: "no GPUs found" });
  });

  it("refuses bad flags with one line and no stack", () => {
    const slurmStart = ["agent", "start", "--controller", "ws://127.0.0.1:1", "--token", "x", "--launcher", "slurm"];
    const slurm = runCli(slurmStart);
    expect(slurm.code).toBe(2);
    expect(slurm.stderr.trim()).toBe(
      "error: --launcher slurm needs --slurm-partition (the partition this agent stands for)",
    );
    const sku = runCli([...slurmStart, "--slurm-partition", "gpu"]);
    expect(sku.stderr.trim()).toBe("error: --launcher slurm needs --sku (the SKU of the partition's nodes)");
    const notSlurm = runCli([
      "agent",
      "start",
      "--controller",
      "ws://127.0.0.1:1",
      "--token",
      "x",
      "--slurm-account",
      "a",
    ]);
    expect(notSlurm.stderr.trim()).toBe("error: --slurm-account is for --launcher slurm");
    // Slurm cannot answer (here: a config without a controller): one line, no stack
    const conf = join(mkdtempSync(join(tmpdir(), "bf-cli-slurm-")), "slurm.conf");
    writeFileSync(conf, "ClusterName=broken\n");
    const unknown = runCli([...slurmStart, "--slurm-partition", "nope", "--sku", "h100"], {
      env: { SLURM_CONF: conf },
    });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^error: sinfo for partition nope failed: /);
    const url = runCli(["agent", "start", "--controller", "http://c:1", "--token", "x"]);
    expect(url.stderr.trim()).toBe('error: --controller: expected ws:// or wss://, got "http://c:1"');
    const tok = runCli(["agent", "start", "--controller", "ws://c:1"], { env: { BENCHFLEET_AGENT_TOKEN: "" } });
    expect(tok.stderr.trim()).toBe("error: an agent token is needed: --token or $BENCHFLEET_AGENT_TOKEN");
  }, 120_000); // seven CLI starts, each a few seconds of tsx start-up on a loaded host

  describe("agent start against a running controller", () => {
    let c: TestController;
    beforeAll(async () => {
      c = await startTestController(inject("redisUrl"));
    });
    afterAll(async () => c.stop());

    it("registers, runs an emulated job to success, and exits cleanly on SIGTERM", async () => {
      const child = spawnCli(
        [
          "agent",
          "start",
          "--controller",
          c.url.replace(/^http/, "ws"),
          "--token",
          TOKENS.enrol,
          "--agent-id",
          "cli-mi300x",
          "--emulate-sku",
          "mi300x",
          "--emulate-ip",
          randomLoopback(),
          "--data-dir",
          mkdtempSync(join(tmpdir(), "bf-agent-cli-")),
          "--time-scale",
          "0.02",
          "--labels",
          "demo,cli",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr!.on("data", (b) => (stderr += b.toString()));
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      try {
        const node = await until(
          async () => {
            const r = await c.api("GET", "/api/v1/nodes/cli-mi300x");
            return r.body?.state === "idle" ? r.body : undefined;
          },
          20_000,
          "agent registered",
        );
        expect(JSON.stringify(node)).toContain("mi300x");
        const d = {
          ...makeDeployment({
            seed: "agent-cli",
            sku: "mi300x",
            points: [{ concurrency: 2, isl: 128, osl: 16 }],
            phaseTimeoutS: 60,
          }),
          model: "meta-llama/Llama-3.1-8B-Instruct",
          modelPrefix: "llama3-8b",
          framework: "vllm",
          isl: 128,
          osl: 16,
          promptsPerConc: 2,
        };
        const created = await c.api("POST", "/api/v1/sweeps", { name: "agent-cli", deployments: [d] }, TOKENS.operator);
        const sweepId = created.body.sweepId as string;
        const sweep = await sweepFinished(c, sweepId, 60_000);
        expect(sweep.status, stderr).toBe("succeeded");
        expect(stderr).toMatch(/attempt \S+ succeeded/);
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exited).toBe(0);
      expect(stderr).toContain("SIGTERM: stopping");
    }, 90_000);
  });
});
