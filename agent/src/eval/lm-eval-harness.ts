/**
 * lm-evaluation-harness adapter, for nodes where `lm_eval` is installed: writes a task YAML for
 * the same 5-shot GSM8K task (our local data files, our prompt, lm-eval's strict-match and
 * flexible-extract filters), runs `lm_eval --model local-chat-completions` (or
 * `local-completions`) with `tokenized_requests=False` against the live server, and reads
 * `exact_match,strict-match` / `exact_match,flexible-extract` (and their stderr) from the newest
 * results_*.json it wrote. Nothing is downloaded (the data files are local).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { INSTRUCTION } from "./gsm8k-prompt.js";
import { passes } from "./thresholds.js";

export const LM_EVAL_TASK = "benchfleet_gsm8k";

export interface LmEvalOptions {
  baseUrl: string;
  model: string;
  endpoint?: "chat" | "completions";
  limit?: number;
  concurrency?: number;
  numFewshot?: number;
  maxTokens?: number;
  threshold: number;
  /** directory with test.jsonl and fewshot.jsonl */
  dataset: string;
  /** the lm_eval command (default: `lm_eval`) */
  command?: string;
  signal?: AbortSignal;
}

export function taskYaml(datasetDir: string): string {
  const dir = resolve(datasetDir);
  return `task: ${LM_EVAL_TASK}
dataset_path: json
dataset_kwargs:
  data_files:
    test: ${JSON.stringify(join(dir, "test.jsonl"))}
    train: ${JSON.stringify(join(dir, "fewshot.jsonl"))}
output_type: generate_until
test_split: test
fewshot_split: train
fewshot_config:
  sampler: first_n
doc_to_text: ${JSON.stringify(`Question: {{question}}\n${INSTRUCTION}\nAnswer:`)}
doc_to_target: "{{answer}}"
target_delimiter: " "
fewshot_delimiter: "\\n\\n"
generation_kwargs:
  until: ["Question:", "</s>", "<|im_end|>"]
  do_sample: false
  temperature: 0.0
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
    regexes_to_ignore: [",", "\\\\$", "(?s).*#### ", "\\\\.$"]
filter_list:
  - name: strict-match
    filter:
      - function: regex
        regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)"
      - function: take_first
  - name: flexible-extract
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)"
      - function: take_first
num_fewshot: 5
metadata:
  version: 1.0
`;
}

export function lmEvalArgs(o: LmEvalOptions, includePath: string, outputPath: string): string[] {
  const chat = (o.endpoint ?? "chat") === "chat";
  const base = o.baseUrl.replace(/\/+$/, "");
  const modelArgs = [
    `model=${o.model}`,
    `base_url=${base}${chat ? "/v1/chat/completions" : "/v1/completions"}`,
    "api_key=EMPTY",
    `num_concurrent=${o.concurrency ?? 64}`,
    "max_retries=5",
    "timeout=1800",
    "tokenized_requests=False",
  ].join(",");
  const args = [
    "--model",
    chat ? "local-chat-completions" : "local-completions",
    "--model_args",
    modelArgs,
    "--include_path",
    includePath,
    "--tasks",
    LM_EVAL_TASK,
    "--num_fewshot",
    String(o.numFewshot ?? 5),
    "--output_path",
    outputPath,
    "--gen_kwargs",
    `max_tokens=${o.maxTokens ?? 2048},temperature=0,top_p=1`,
  ];
  if (chat) args.push("--apply_chat_template", "--fewshot_as_multiturn");
  if (o.limit !== undefined) args.push("--limit", String(o.limit));
  return args;
}

export interface LmEvalScores {
  n: number;
  strict: { exactMatch: number; stderr: number };
  flexible: { exactMatch: number; stderr: number };
}

/** scores from an lm-eval results JSON */
export function parseLmEvalResults(json: unknown, task = LM_EVAL_TASK): LmEvalScores {
  const j = json as {
    results?: Record<string, Record<string, unknown>>;
    "n-samples"?: Record<string, { effective?: number }>;
  };
  const r = j.results?.[task];
  if (!r)
    throw new Error(
      `lm-eval results have no task ${task} (tasks: ${Object.keys(j.results ?? {}).join(", ") || "none"})`,
    );
  const num = (k: string): number => {
    const v = r[k];
    if (typeof v === "number") return v;
    if (v === "N/A") return 0;
    throw new Error(`lm-eval results: ${task} has no numeric ${k}`);
  };
  return {
    n: j["n-samples"]?.[task]?.effective ?? 0,
    strict: { exactMatch: num("exact_match,strict-match"), stderr: num("exact_match_stderr,strict-match") },
    flexible: { exactMatch: num("exact_match,flexible-extract"), stderr: num("exact_match_stderr,flexible-extract") },
  };
}

export function newestResultsFile(dir: string): string | undefined {
  let best: { file: string; mtime: number } | undefined;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^results.*\.json$/.test(e.name)) {
        const m = statSync(p).mtimeMs;
        if (!best || m > best.mtime) best = { file: p, mtime: m };
      }
    }
  };
  walk(dir);
  return best?.file;
}

export async function runLmEval(o: LmEvalOptions) {
  const startedAt = new Date();
  const work = mkdtempSync(join(tmpdir(), "benchfleet-lm-eval-"));
  try {
    writeFileSync(join(work, `${LM_EVAL_TASK}.yaml`), taskYaml(o.dataset));
    const out = join(work, "out");
    const cmd = o.command ?? "lm_eval";
    let stderr = "";
    const code = await new Promise<number>((resolvePromise, reject) => {
      const child = spawn(cmd, lmEvalArgs(o, work, out), { stdio: ["ignore", "ignore", "pipe"], signal: o.signal });
      child.stderr!.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on("error", (err) => {
        const e = err as NodeJS.ErrnoException;
        reject(
          e.code === "ENOENT"
            ? new Error(`${cmd} is not installed on this node (--harness lm-eval needs lm-evaluation-harness)`)
            : err,
        );
      });
      child.on("close", (c) => resolvePromise(c ?? 1));
    });
    if (code !== 0) throw new Error(`${cmd} exited with ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
    const file = newestResultsFile(out);
    if (!file) throw new Error(`${cmd} wrote no results_*.json under its output path`);
    const s = parseLmEvalResults(JSON.parse(readFileSync(file, "utf8")));
    const finishedAt = new Date();
    return {
      task: "gsm8k" as const,
      harness: "lm-eval" as const,
      n: s.n,
      strict: s.strict,
      flexible: s.flexible,
      failedRequests: 0,
      threshold: o.threshold,
      passed: passes(s.strict.exactMatch, s.flexible.exactMatch, o.threshold),
      durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
