/** `benchfleet eval`: the GSM8K accuracy gate against any OpenAI-compatible server. */
import { writeFileSync } from "node:fs";
import { runGsm8k } from "@benchfleet/agent";
import { CliError, ConfigError } from "@benchfleet/shared";
import type { Command } from "commander";
import { checkHttpUrl, checkWritableFile } from "../option-checks.js";

function int(name: string, min = 1) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new CliError(`${name} must be an integer ≥ ${min} (got "${v}")`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command("eval")
    .description("GSM8K accuracy (5-shot, greedy, strict and flexible exact match) against an OpenAI-compatible server")
    .requiredOption("--base-url <url>", "server, e.g. http://host:8000")
    .requiredOption("--model <name>", "model name the server serves")
    .option("--endpoint <kind>", "chat or completions", "chat")
    .option("--limit <n>", "only the first n problems of the test split", int("--limit"))
    .option("--concurrency <n>", "requests in flight", int("--concurrency"), 64)
    .option("--max-tokens <n>", "max tokens per answer", int("--max-tokens"), 2048)
    .option("--num-fewshot <n>", "exemplars in the prompt", int("--num-fewshot", 0), 5)
    .option("--threshold <x>", "pass mark for both exact-match scores (default: configs/eval-thresholds.yaml)")
    .option("--thresholds-file <file>", "per-model thresholds (default configs/eval-thresholds.yaml)")
    .option("--model-prefix <p>", "model prefix for the threshold lookup (e.g. dsr1)")
    .option("--dataset <path>", "GSM8K directory (test.jsonl, fewshot.jsonl) or a test .jsonl file")
    .option("--harness <h>", "builtin, or lm-eval (runs lm_eval where installed)", "builtin")
    .option("--api-key <key>", "bearer token for the server")
    .option("--result-file <file>", "write the result JSON here")
    .option("--json", "print the result JSON")
    .action(async (o) => {
      if (o.endpoint !== "chat" && o.endpoint !== "completions")
        throw new CliError(`--endpoint must be chat or completions (got "${o.endpoint}")`);
      if (o.harness !== "builtin" && o.harness !== "lm-eval")
        throw new CliError(`--harness must be builtin or lm-eval (got "${o.harness}")`);
      checkHttpUrl("--base-url", o.baseUrl);
      if (o.resultFile) checkWritableFile("--result-file", o.resultFile);
      let threshold: number | undefined;
      if (o.threshold !== undefined) {
        threshold = Number(o.threshold);
        if (!(threshold >= 0 && threshold <= 1))
          throw new CliError(`--threshold must be in [0, 1] (got "${o.threshold}")`);
      }
      const tty = process.stderr.isTTY && !o.json;
      const ac = new AbortController();
      const onSigint = () => ac.abort(new CliError("interrupted", 130));
      process.once("SIGINT", onSigint);
      let r: Awaited<ReturnType<typeof runGsm8k>>;
      try {
        r = await runGsm8k({
          baseUrl: o.baseUrl,
          model: o.model,
          endpoint: o.endpoint,
          limit: o.limit,
          concurrency: o.concurrency,
          maxTokens: o.maxTokens,
          numFewshot: o.numFewshot,
          threshold,
          thresholdsFile: o.thresholdsFile,
          modelPrefix: o.modelPrefix,
          dataset: o.dataset,
          harness: o.harness,
          headers: o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : undefined,
          signal: ac.signal,
          onProgress: tty
            ? (d, t, c) => process.stderr.write(`\r\x1b[Kgsm8k ${d}/${t}  strict correct ${c}`)
            : undefined,
        });
      } catch (err) {
        if (err instanceof ConfigError || err instanceof CliError) throw err;
        throw new CliError((err as Error).message);
      } finally {
        process.off("SIGINT", onSigint);
        if (tty) process.stderr.write("\r\x1b[K");
      }
      if (o.resultFile) writeFileSync(o.resultFile, `${JSON.stringify(r, null, 2)}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const pct = (x: number) => x.toFixed(4);
        process.stdout.write(
          `gsm8k (${r.harness}, 5-shot) n=${r.n} in ${r.durationS.toFixed(1)} s\n` +
            `  exact_match strict   ${pct(r.strict.exactMatch)} ± ${pct(r.strict.stderr)}\n` +
            `  exact_match flexible ${pct(r.flexible.exactMatch)} ± ${pct(r.flexible.stderr)}\n` +
            `  failed requests ${r.failedRequests}, empty answers ${r.emptyResponses ?? 0}\n` +
            `  threshold ${r.threshold}: ${r.passed ? "PASSED" : "FAILED"}\n`,
        );
      }
      if (!r.passed) process.exitCode = 3;
    });
}
