/**
 * `benchfleet load`: drive one load point against any OpenAI-compatible server and print the
 * `vllm bench serve`-style summary (or the result JSON with --json); --result-file writes it.
 */
import { writeFileSync } from "node:fs";
import { type LoadProgress, runLoadPoint, workersFor } from "@benchfleet/agent";
import { CliError } from "@benchfleet/shared";
import { type Command, Option } from "commander";
import { checkHttpUrl, checkWritableFile } from "../option-checks.js";

function int(name: string, min = 1) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new CliError(`${name} must be an integer ≥ ${min} (got "${v}")`);
    return n;
  };
}
function num(name: string, min = 0) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new CliError(`${name} must be a number ≥ ${min} (got "${v}")`);
    return n;
  };
}

export function parseEndpoint(v: string): "/v1/completions" | "/v1/chat/completions" {
  if (v === "/v1/completions" || v === "completions") return "/v1/completions";
  if (v === "/v1/chat/completions" || v === "chat") return "/v1/chat/completions";
  throw new CliError(`--endpoint must be /v1/completions or /v1/chat/completions (got "${v}")`);
}

function parseRate(v: string): number {
  if (v === "inf") return Number.POSITIVE_INFINITY;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`--request-rate must be "inf" or a number > 0 (got "${v}")`);
  return n;
}

function kv(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = v.indexOf("=");
  if (i <= 0) throw new CliError(`--metadata takes key=value (got "${v}")`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
}

const f2 = (x: unknown) => (typeof x === "number" ? x.toFixed(2) : String(x));

export function summary(b: Record<string, unknown>): string {
  const rows: Array<[string, unknown]> = [
    ["Successful requests", b.completed],
    ["Failed requests", b.failed],
    ["Maximum request concurrency", b.max_concurrency],
    ["Benchmark duration (s)", f2(b.duration)],
    ["Total input tokens", b.total_input_tokens],
    ["Total generated tokens", b.total_output_tokens],
    ["Request throughput (req/s)", f2(b.request_throughput)],
    ["Output token throughput (tok/s)", f2(b.output_throughput)],
    ["Total token throughput (tok/s)", f2(b.total_token_throughput)],
  ];
  for (const [m, title] of [
    ["ttft", "Time to First Token"],
    ["tpot", "Time per Output Token (excl. 1st token)"],
    ["itl", "Inter-token Latency"],
    ["e2el", "End-to-end Latency"],
  ]) {
    rows.push([`--- ${title} ---`, ""]);
    for (const s of ["mean", "median", "p99"])
      rows.push([`${s[0].toUpperCase()}${s.slice(1)} ${m.toUpperCase()} (ms)`, f2(b[`${s}_${m}_ms`])]);
  }
  const bf = b.benchfleet as {
    interactivity?: Record<string, number>;
    client?: Record<string, unknown>;
    status?: string;
    failureReason?: string;
    failures?: Record<string, number>;
  };
  rows.push(["--- benchfleet ---", ""]);
  rows.push(["Interactivity median (tok/s/user)", f2(bf?.interactivity?.median)]);
  rows.push(["Client p99 send lag (ms)", f2(bf?.client?.sendLagP99Ms)]);
  rows.push(["Client saturated", bf?.client?.saturated ? `yes: ${bf.client.saturationReason}` : "no"]);
  if (bf?.failures && Object.keys(bf.failures).length)
    rows.push([
      "Failures",
      Object.entries(bf.failures)
        .map(([k, v]) => `${k}×${v}`)
        .join(", "),
    ]);
  rows.push(["Status", bf?.status === "failed" ? `FAILED: ${bf.failureReason}` : "ok"]);
  return rows.map(([k, v]) => (v === "" ? k : `${`${k}:`.padEnd(42)}${v}`)).join("\n");
}

export function register(program: Command): void {
  program
    .command("load")
    .description(
      "run one load point (concurrency × ISL × OSL) against an OpenAI-compatible server; vLLM bench serve metrics",
    )
    .requiredOption("--base-url <url>", "server, e.g. http://host:8000")
    .requiredOption("--model <name>", "model name the server serves")
    .option(
      "--endpoint <path>",
      "/v1/completions (token-id prompts) or /v1/chat/completions (text)",
      parseEndpoint,
      "/v1/completions",
    )
    .option("--isl <n>", "input length in tokens", int("--isl"), 1024)
    .option("--osl <n>", "output length in tokens", int("--osl"), 1024)
    .option("--range-ratio <r>", "length range ratio: lengths uniform in [floor(L*r), L]", num("--range-ratio"), 0.8)
    .option("--range-mode <mode>", "floor: [floor(L*r), L] (reference lab); vllm: [L(1-r), L(1+r)]", "floor")
    .option("--concurrency <n>", "requests kept in flight", int("--concurrency"), 64)
    .option("--num-prompts <n>", "measured requests (default 10 × concurrency)", int("--num-prompts"))
    .option("--warmups <n>", "warmup requests before measuring (default 2 × concurrency)", int("--warmups", 0))
    .addOption(
      new Option("--request-rate <r>", "inf (closed loop) or requests/s with gamma arrivals")
        .argParser(parseRate)
        // shown as "inf" (commander prints Infinity as JSON: "null")
        .default(Number.POSITIVE_INFINITY, "inf"),
    )
    .option(
      "--burstiness <b>",
      "gamma shape of inter-arrival times (1 = Poisson)",
      num("--burstiness", Number.MIN_VALUE),
      1,
    )
    .option("--seed <s>", "random seed of prompts and arrivals", int("--seed", 0), 0)
    .option(
      "--workers <n>",
      "threads sharing the in-flight requests (default: the agent's choice, one per 64 streams up to a quarter of the cores)",
      int("--workers"),
    )
    .option("--prompt-format <f>", "ids (token-id prompts, completions only) or text")
    .option("--tokenizer <file>", "local tokenizer.json whose vocabulary supplies text-prompt words")
    .option("--dataset <kind>", "random or multi-turn", "random")
    .option("--turns <n>", "multi-turn: turns per conversation", int("--turns"), 4)
    .option("--think-time <ms>", "multi-turn: pause between turns (ms)", num("--think-time"), 0)
    .option("--gpus <n>", "GPUs serving the model, for per-GPU throughput", int("--gpus"), 1)
    .option("--prefill-gpus <n>", "disagg: prefill GPUs", int("--prefill-gpus", 0), 0)
    .option("--decode-gpus <n>", "disagg: decode GPUs", int("--decode-gpus", 0), 0)
    .option(
      "--first-chunk <rule>",
      "content (first chunk with text starts TTFT) or any (vLLM chat: any chunk with choices)",
      "content",
    )
    .option("--no-exact-output", "do not send ignore_eos/min_tokens")
    .option("--api-key <key>", "bearer token for the server")
    .option("--label <label>", "label written into the result")
    .option("--metadata <k=v>", "extra key=value written into the result (repeatable)", kv)
    .option("--result-file <file>", "write the result JSON here")
    .option("--save-detailed", "keep per-request lists (input_lens, ttfts, itls, ...) in the result")
    .option("--json", "print the result JSON to stdout")
    .action(async (o) => {
      if (o.rangeMode !== "floor" && o.rangeMode !== "vllm")
        throw new CliError(`--range-mode must be floor or vllm (got "${o.rangeMode}")`);
      if (o.dataset !== "random" && o.dataset !== "multi-turn")
        throw new CliError(`--dataset must be random or multi-turn (got "${o.dataset}")`);
      if (o.firstChunk !== "content" && o.firstChunk !== "any")
        throw new CliError(`--first-chunk must be content or any (got "${o.firstChunk}")`);
      if (o.promptFormat !== undefined && o.promptFormat !== "ids" && o.promptFormat !== "text")
        throw new CliError(`--prompt-format must be ids or text (got "${o.promptFormat}")`);
      checkHttpUrl("--base-url", o.baseUrl);
      if (o.resultFile) checkWritableFile("--result-file", o.resultFile);
      const total = o.prefillGpus + o.decodeGpus > 0 ? o.prefillGpus + o.decodeGpus : o.gpus;
      const tty = process.stderr.isTTY && !o.json;
      const ac = new AbortController();
      const onSigint = () => ac.abort(new CliError("interrupted", 130));
      process.once("SIGINT", onSigint);
      let res: Awaited<ReturnType<typeof runLoadPoint>>;
      try {
        res = await runLoadPoint({
          baseUrl: o.baseUrl,
          model: o.model,
          endpoint: o.endpoint,
          isl: o.isl,
          osl: o.osl,
          rangeRatio: o.rangeRatio,
          rangeMode: o.rangeMode,
          concurrency: o.concurrency,
          numPrompts: o.numPrompts,
          warmups: o.warmups,
          requestRate: o.requestRate,
          burstiness: o.burstiness,
          seed: o.seed,
          workers: o.workers ?? (o.dataset === "multi-turn" ? 1 : workersFor(o.concurrency)),
          promptFormat: o.promptFormat,
          tokenizerPath: o.tokenizer,
          multiTurn: o.dataset === "multi-turn" ? { turns: o.turns, thinkTimeMs: o.thinkTime } : undefined,
          gpus: { total, prefill: o.prefillGpus, decode: o.decodeGpus },
          firstChunk: o.firstChunk,
          exactOutput: o.exactOutput,
          headers: o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : undefined,
          label: o.label,
          metadata: o.metadata,
          saveDetailed: o.saveDetailed,
          signal: ac.signal,
          onProgress: tty
            ? (p: LoadProgress) =>
                process.stderr.write(
                  `\r\x1b[K${p.phase} ${p.done}/${p.total}  ${p.requestsPerS.toFixed(1)} req/s  ${p.outputTokensPerS.toFixed(0)} tok/s  in flight ${p.inFlight}  errors ${p.errors}`,
                )
            : undefined,
        });
      } catch (err) {
        if (err instanceof RangeError) throw new CliError(err.message);
        if (err instanceof CliError) throw err;
        throw new CliError((err as Error).message);
      } finally {
        process.off("SIGINT", onSigint);
        if (tty) process.stderr.write("\r\x1b[K");
      }
      const out = { ...res.bench };
      if (o.resultFile) writeFileSync(o.resultFile, `${JSON.stringify(out, null, 2)}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else process.stdout.write(`${summary(out as Record<string, unknown>)}\n`);
      if (res.status === "failed") process.exitCode = 3;
    });
}
