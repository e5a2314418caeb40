/**
 * runGsm8k: the accuracy gate against a live OpenAI-compatible server. GSM8K test split (or the
 * first `limit` problems), 5-shot, greedy (temperature 0), bounded max tokens, `concurrency`
 * requests in flight; strict and flexible exact match with standard errors; failed requests and
 * empty answers count as wrong and are reported. With `harness: "lm-eval"` lm-evaluation-harness
 * runs instead (it must be installed on the node).
 */
import { setMaxListeners } from "node:events";
import { type EvalResult, EvalResult as EvalResultSchema } from "@benchfleet/shared";
import { Pool } from "undici";
import { DEFAULT_GSM8K_DIR, type Gsm8kItem, loadGsm8k } from "./gsm8k-dataset.js";
import { extractFlexible, extractStrict, isMatch, referenceAnswer } from "./gsm8k-extract.js";
import { chatMessages, completionPrompt, STOP } from "./gsm8k-prompt.js";
import { runLmEval } from "./lm-eval-harness.js";
import { meanWithStderr } from "./scoring.js";
import { loadThresholds, passes, thresholdFor } from "./thresholds.js";

export interface Gsm8kOptions {
  baseUrl: string;
  model: string;
  endpoint?: "chat" | "completions";
  /** alias of endpoint (the executor's EvalRunOptions name) */
  api?: "chat" | "completions";
  limit?: number;
  concurrency?: number;
  numFewshot?: number;
  maxTokens?: number;
  /** explicit threshold; else from the thresholds file by modelPrefix / model */
  threshold?: number;
  thresholdsFile?: string;
  modelPrefix?: string;
  /** dataset directory (test.jsonl + fewshot.jsonl) or a test .jsonl file */
  dataset?: string;
  harness?: "builtin" | "lm-eval";
  headers?: Record<string, string>;
  requestTimeoutMs?: number;
  emulated?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, correct: number) => void;
  /** per-problem outcome (builtin harness) */
  onSample?: (s: Gsm8kSample) => void;
}

export interface Gsm8kSample {
  index: number;
  reference: string;
  response: string;
  strict: string;
  flexible: string;
  strictOk: boolean;
  flexibleOk: boolean;
  error?: string;
}

/** An eval below its threshold: the attempt fails without retry, with the score. */
export class AccuracyBelowThreshold extends Error {
  readonly nonRetryable = true;
  constructor(readonly result: EvalResult) {
    super(
      `GSM8K accuracy below threshold ${result.threshold}: strict ${result.strict.exactMatch.toFixed(4)} ± ${result.strict.stderr.toFixed(4)}, ` +
        `flexible ${result.flexible.exactMatch.toFixed(4)} ± ${result.flexible.stderr.toFixed(4)} (n=${result.n}, failed requests ${result.failedRequests})`,
    );
    this.name = "AccuracyBelowThreshold";
  }
}

export function assertEvalPassed(result: EvalResult): void {
  if (!result.passed) throw new AccuracyBelowThreshold(result);
}

function abortError(signal: AbortSignal): Error {
  const r = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error("eval aborted"), { name: "AbortError" });
}

export async function runGsm8k(opts: Gsm8kOptions): Promise<EvalResult> {
  const startedAt = new Date();
  const threshold = opts.threshold ?? thresholdFor(loadThresholds(opts.thresholdsFile), opts.model, opts.modelPrefix);
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in [0, 1] (got ${threshold})`);
  if (opts.harness === "lm-eval") {
    const r = await runLmEval({
      ...opts,
      endpoint: opts.endpoint ?? opts.api,
      threshold,
      dataset: opts.dataset ?? DEFAULT_GSM8K_DIR,
    });
    return EvalResultSchema.parse({ ...r, emulated: opts.emulated ?? false });
  }
  if (opts.signal) setMaxListeners(0, opts.signal);
  const data = loadGsm8k(opts.dataset);
  const nShots = opts.numFewshot ?? 5;
  if (nShots > data.fewshot.length)
    throw new RangeError(`${nShots}-shot needs ${nShots} exemplars; ${data.dir} has ${data.fewshot.length}`);
  const shots = data.fewshot.slice(0, nShots);
  const items = opts.limit !== undefined ? data.test.slice(0, opts.limit) : data.test;
  const chat = (opts.endpoint ?? opts.api ?? "chat") === "chat";
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 64, items.length));
  const base = new URL(opts.baseUrl);
  const path = `${base.pathname.replace(/\/+$/, "")}${chat ? "/v1/chat/completions" : "/v1/completions"}`;
  const pool = new Pool(base.origin, {
    connections: concurrency,
    headersTimeout: opts.requestTimeoutMs ?? 1_800_000,
    bodyTimeout: opts.requestTimeoutMs ?? 1_800_000,
  });
  const strict = new Array<number>(items.length).fill(0);
  const flexible = new Array<number>(items.length).fill(0);
  let failed = 0;
  let empty = 0;
  let done = 0;
  let correct = 0;
  let next = 0;

  const ask = async (item: Gsm8kItem): Promise<string> => {
    const body: Record<string, unknown> = {
      model: opts.model,
      max_tokens: opts.maxTokens ?? 2048,
      temperature: 0,
      top_p: 1,
      stop: STOP,
    };
    if (chat) body.messages = chatMessages(item, shots);
    else body.prompt = completionPrompt(item, shots);
    const res = await pool.request({
      path,
      method: "POST",
      headers: { "content-type": "application/json", ...opts.headers },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const json = JSON.parse(text) as {
      choices?: Array<{ text?: string; message?: { content?: string | null; reasoning_content?: string | null } }>;
    };
    const c = json.choices?.[0];
    if (!c) throw new Error("response without choices");
    return (chat ? c.message?.content : c.text) ?? "";
  };

  const worker = async () => {
    for (;;) {
      if (opts.signal?.aborted) return;
      const i = next++;
      if (i >= items.length) return;
      const item = items[i];
      const reference = referenceAnswer(item.answer);
      let response = "";
      let error: string | undefined;
      try {
        response = await ask(item);
      } catch (err) {
        if (opts.signal?.aborted) return;
        error = (err as Error).message;
        failed++;
      }
      if (!error && response.trim() === "") empty++;
      const s = extractStrict(response);
      const f = extractFlexible(response);
      const strictOk = !error && isMatch(s, reference);
      const flexibleOk = !error && isMatch(f, reference);
      strict[i] = strictOk ? 1 : 0;
      flexible[i] = flexibleOk ? 1 : 0;
      done++;
      if (strictOk) correct++;
      opts.onSample?.({
        index: i,
        reference,
        response,
        strict: s,
        flexible: f,
        strictOk,
        flexibleOk,
        ...(error ? { error } : {}),
      });
      opts.onProgress?.(done, items.length, correct);
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.destroy().catch(() => {});
  }
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const finishedAt = new Date();
  const sm = meanWithStderr(strict);
  const fm = meanWithStderr(flexible);
  return EvalResultSchema.parse({
    task: "gsm8k",
    harness: "builtin",
    n: items.length,
    strict: { exactMatch: sm.mean, stderr: sm.stderr },
    flexible: { exactMatch: fm.mean, stderr: fm.stderr },
    failedRequests: failed,
    emptyResponses: empty,
    threshold,
    passed: passes(sm.mean, fm.mean, threshold),
    durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    emulated: opts.emulated ?? false,
  });
}
