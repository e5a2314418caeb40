import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, EvalResult } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureProcess, spawnFixture } from "../loadgen/fixture-process.js";
import { DEFAULT_GSM8K_DIR, loadGsm8k, readJsonl } from "./gsm8k-dataset.js";
import { extractFlexible, extractStrict, INVALID, isMatch, referenceAnswer } from "./gsm8k-extract.js";
import { chatMessages, completionPrompt, INSTRUCTION } from "./gsm8k-prompt.js";
import { lmEvalArgs, parseLmEvalResults, runLmEval, taskYaml } from "./lm-eval-harness.js";
import { AccuracyBelowThreshold, assertEvalPassed, runGsm8k } from "./run-gsm8k.js";
import { meanWithStderr } from "./scoring.js";
import { loadThresholds, thresholdFor } from "./thresholds.js";

describe("answer extraction (lm-eval gsm8k semantics)", () => {
  // [model output, reference, strict ok, flexible ok]
  const table: Array<[string, string, boolean, boolean]> = [
    ["She makes 9 * 2 = $18.\n#### 18", "18", true, true],
    ["Total: 1,234 apples\n#### 1,234", "1234", true, true],
    ["The cost is $1,234.50\n#### $1,234.50", "1234.50", false, true], // strict regex needs a digit after '#### '
    ["#### 1234.", "1234", true, true], // one trailing dot is ignored
    ["#### 18.00", "18", false, false], // strings are compared, as lm-eval does
    ["He lost 5 degrees, so -5 remain.\n#### -5", "-5", true, true],
    ["The answer is -12.", "-12", false, true], // no ####: only flexible finds it
    ["#### 7\nwait, actually\n#### 8", "8", false, true], // several ####: strict takes the first, flexible the last
    ["#### 42 dollars, 3 cents", "42", true, false], // flexible takes the last number
    ["I cannot solve this.", "3", false, false],
    ["", "3", false, false],
  ];
  it.each(table)("%j vs %s", (out, ref, strictOk, flexOk) => {
    expect(isMatch(extractStrict(out), ref)).toBe(strictOk);
    expect(isMatch(extractFlexible(out), ref)).toBe(flexOk);
  });
  it("returns [invalid] when nothing matches, and reads the reference after the last ####", () => {
    expect(extractStrict("no answer")).toBe(INVALID);
    expect(extractFlexible("no digits")).toBe(INVALID);
    expect(referenceAnswer("a <<2*3=6>>6\n#### 1,000")).toBe("1000");
  });
});

describe("dataset and prompts", () => {
  it("loads the 1319 test problems and 8 exemplars shipped under configs/datasets/gsm8k", () => {
    const d = loadGsm8k();
    expect(d.test).toHaveLength(1319);
    expect(d.fewshot).toHaveLength(8);
  });
  it("names file and line of a bad dataset line", () => {
    const dir = mkdtempSync(join(tmpdir(), "gsm8k-"));
    const f = join(dir, "test.jsonl");
    writeFileSync(f, '{"question":"q","answer":"#### 1"}\n{"question":"q2","answer":"no number"}\n');
    expect(() => readJsonl(f)).toThrow(ConfigError);
    expect(() => readJsonl(f)).toThrow(/test\.jsonl:2:1: answer: answer must end with '#### <number>'/);
    expect(() => readJsonl(join(dir, "missing.jsonl"))).toThrow(/missing\.jsonl:1:1: cannot read: ENOENT/);
  });
  it("builds 5-shot prompts ending with the #### instruction", () => {
    const d = loadGsm8k();
    const msgs = chatMessages(d.test[0], d.fewshot.slice(0, 5));
    expect(msgs).toHaveLength(11);
    expect(msgs[1]).toEqual({ role: "assistant", content: expect.stringMatching(/#### 72$/) });
    expect(msgs[1].content).not.toContain("<<");
    expect(msgs[10].content.endsWith(INSTRUCTION)).toBe(true);
    const p = completionPrompt(d.test[0], d.fewshot.slice(0, 5));
    expect(p.split("\n\n")).toHaveLength(6);
    expect(p.endsWith(`${INSTRUCTION}\nAnswer:`)).toBe(true);
  });
});

describe("scoring and thresholds", () => {
  it("standard error = sample stddev / sqrt(n) like lm-eval", () => {
    const r = meanWithStderr([1, 1, 0, 1]);
    expect(r.mean).toBe(0.75);
    expect(r.stderr).toBeCloseTo(Math.sqrt(0.25) / 2, 12);
  });
  it("reads configs/eval-thresholds.yaml: default 0.90, dsr1 0.91 (by prefix or model id)", () => {
    const t = loadThresholds();
    expect(thresholdFor(t, "deepseek-ai/DeepSeek-R1-0528", "dsr1")).toBe(0.91);
    expect(thresholdFor(t, "dsr1")).toBe(0.91);
    expect(thresholdFor(t, "org/DSR1")).toBe(0.91);
    expect(thresholdFor(t, "meta-llama/Llama-3.1-8B")).toBe(0.9);
  });
  it("rejects a bad thresholds file with file:line:col", () => {
    const f = join(mkdtempSync(join(tmpdir(), "thr-")), "t.yaml");
    writeFileSync(f, "default: 0.9\nmodels:\n  dsr1: 1.5\n");
    expect(() => loadThresholds(f)).toThrow(/t\.yaml:3:9: models\.dsr1: /);
  });
});

describe("runGsm8k against a live server", () => {
  let good: FixtureProcess;
  let flaky: FixtureProcess;
  let poor: FixtureProcess;
  const testFile = join(DEFAULT_GSM8K_DIR, "test.jsonl");
  beforeAll(async () => {
    [good, flaky, poor] = await Promise.all([
      spawnFixture(["--ttft-ms", "1", "--gsm8k", testFile, "--gsm8k-accuracy", "1"]),
      spawnFixture(["--ttft-ms", "1", "--gsm8k", testFile, "--gsm8k-accuracy", "1", "--http503-every", "10"]),
      spawnFixture(["--ttft-ms", "1", "--gsm8k", testFile, "--gsm8k-accuracy", "0.5"]),
    ]);
  });
  afterAll(async () => {
    await Promise.all([good, flaky, poor].map((f) => f?.stop()));
  });

  it("scores a correct server 1.0 on chat and completions and passes", async () => {
    for (const endpoint of ["chat", "completions"] as const) {
      const r = await runGsm8k({ baseUrl: good.url, model: "m", endpoint, limit: 100, concurrency: 16 });
      expect(EvalResult.parse(r)).toEqual(r);
      expect(r).toMatchObject({
        n: 100,
        strict: { exactMatch: 1, stderr: 0 },
        flexible: { exactMatch: 1 },
        failedRequests: 0,
        threshold: 0.9,
        passed: true,
      });
      expect(() => assertEvalPassed(r)).not.toThrow();
    }
  });

  it("counts failed requests as wrong: 10 % 503s give exactly 0.9, which still passes 0.9", async () => {
    const r = await runGsm8k({ baseUrl: flaky.url, model: "m", limit: 200, concurrency: 1 });
    expect(r.failedRequests).toBe(20);
    expect(r.strict.exactMatch).toBeCloseTo(0.9, 12);
    expect(r.strict.stderr).toBeCloseTo(Math.sqrt((0.9 * 0.1 * 200) / 199) / Math.sqrt(200), 12);
    expect(r.passed).toBe(true);
  });

  it("fails non-retryably below the model's threshold, with the score", async () => {
    const r = await runGsm8k({
      baseUrl: poor.url,
      model: "deepseek-r1",
      modelPrefix: "dsr1",
      limit: 200,
      concurrency: 32,
    });
    expect(r.threshold).toBe(0.91);
    expect(r.strict.exactMatch).toBeGreaterThan(0.35);
    expect(r.strict.exactMatch).toBeLessThan(0.65);
    expect(r.passed).toBe(false);
    expect(() => assertEvalPassed(r)).toThrow(AccuracyBelowThreshold);
    expect(() => assertEvalPassed(r)).toThrow(/below threshold 0.91: strict 0\.\d{4} ± 0\.\d{4}/);
  });

  it("stops when its signal is aborted", async () => {
    const ac = new AbortController();
    ac.abort(new Error("attempt cancelled"));
    await expect(runGsm8k({ baseUrl: good.url, model: "m", limit: 50, signal: ac.signal })).rejects.toThrow(
      "attempt cancelled",
    );
  });
});

describe("lm-eval harness adapter", () => {
  it("runs local-chat-completions with tokenized_requests=False and our local 5-shot task", () => {
    const args = lmEvalArgs(
      { baseUrl: "http://h:8000/", model: "m", threshold: 0.9, dataset: "d", limit: 50, concurrency: 8 },
      "/inc",
      "/out",
    );
    expect(args).toEqual(
      expect.arrayContaining([
        "local-chat-completions",
        "--apply_chat_template",
        "--fewshot_as_multiturn",
        "--limit",
        "50",
      ]),
    );
    expect(args[args.indexOf("--model_args") + 1]).toBe(
      "model=m,base_url=http://h:8000/v1/chat/completions,api_key=EMPTY,num_concurrent=8,max_retries=5,timeout=1800,tokenized_requests=False",
    );
    const y = taskYaml("/data/gsm8k");
    expect(y).toContain('test: "/data/gsm8k/test.jsonl"');
    expect(y).toContain("name: strict-match");
    expect(y).toContain("name: flexible-extract");
  });
  it("parses exact_match,strict-match / flexible-extract from a results file", () => {
    const s = parseLmEvalResults({
      results: {
        benchfleet_gsm8k: {
          "exact_match,strict-match": 0.93,
          "exact_match_stderr,strict-match": 0.007,
          "exact_match,flexible-extract": 0.94,
          "exact_match_stderr,flexible-extract": 0.0065,
        },
      },
      "n-samples": { benchfleet_gsm8k: { original: 1319, effective: 1319 } },
    });
    expect(s).toEqual({
      n: 1319,
      strict: { exactMatch: 0.93, stderr: 0.007 },
      flexible: { exactMatch: 0.94, stderr: 0.0065 },
    });
    expect(() => parseLmEvalResults({ results: { gsm8k: {} } })).toThrow(/no task benchfleet_gsm8k \(tasks: gsm8k\)/);
  });
  it("says so when lm_eval is not installed", async () => {
    await expect(
      runLmEval({
        baseUrl: "http://h",
        model: "m",
        threshold: 0.9,
        dataset: DEFAULT_GSM8K_DIR,
        command: "lm_eval_not_here",
      }),
    ).rejects.toThrow(/lm_eval_not_here is not installed on this node/);
  });
});
