/** `benchfleet load` and `benchfleet eval` as real CLI processes against the fixture server. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type FixtureProcess, spawnFixture } from "@benchfleet/agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const TEST_FILE = fileURLToPath(new URL("../../../configs/datasets/gsm8k/test.jsonl", import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=source", "--import", "tsx", MAIN, ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("benchfleet load / eval", () => {
  let f: FixtureProcess;
  beforeAll(async () => {
    f = await spawnFixture(["--ttft-ms", "5", "--itl-ms", "1", "--gsm8k", TEST_FILE, "--gsm8k-accuracy", "0.5"]);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it("load --json prints the vLLM result JSON with the benchfleet block", async () => {
    const r = await cli([
      "load",
      "--base-url",
      f.url,
      "--model",
      "m",
      "--isl",
      "64",
      "--osl",
      "16",
      "--concurrency",
      "4",
      "--num-prompts",
      "12",
      "--warmups",
      "2",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      completed: 12,
      failed: 0,
      max_concurrency: 4,
      num_prompts: 12,
      request_rate: "inf",
      model_id: "m",
    });
    expect(typeof j.p99_ttft_ms).toBe("number");
    expect(j.benchfleet.status).toBe("ok");
  });

  it("eval exits 3 below the threshold and prints both scores", async () => {
    const r = await cli(["eval", "--base-url", f.url, "--model", "m", "--limit", "40", "--threshold", "0.9"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/exact_match strict +0\.\d{4} ± 0\.\d{4}/);
    expect(r.stdout).toMatch(/threshold 0.9: FAILED/);
  });

  it("bad input: one line naming the option, no stack trace", async () => {
    const r = await cli(["load", "--base-url", f.url, "--model", "m", "--request-rate", "fast"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: --request-rate must be "inf" or a number > 0 (got "fast")');
  });

  it("a --result-file that cannot be written or a --base-url without http(s) is refused up front (exit 2, one line)", async () => {
    const [load, evalRun, url] = await Promise.all([
      cli(["load", "--base-url", f.url, "--model", "m", "--result-file", "/nonexistent-dir/r.json"]),
      cli([
        "eval",
        "--base-url",
        f.url,
        "--model",
        "m",
        "--dataset",
        TEST_FILE,
        "--result-file",
        "/nonexistent-dir/r.json",
      ]),
      cli(["eval", "--base-url", "localhost:8000", "--model", "m"]),
    ]);
    expect(load.code).toBe(2);
    expect(load.stderr.trim()).toBe(
      "error: --result-file /nonexistent-dir/r.json: folder /nonexistent-dir does not exist",
    );
    expect(evalRun.code).toBe(2);
    expect(evalRun.stderr.trim()).toBe(load.stderr.trim());
    expect(url.code).toBe(2);
    expect(url.stderr.trim()).toBe('error: --base-url must be an http:// or https:// URL, got "localhost:8000"');
  });
});
