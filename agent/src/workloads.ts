/** The executor's load and eval runners, backed by the load generator and (when present) the eval module. */
import { availableParallelism } from "node:os";
import { type LoadPoint, resolveAgenticClient } from "@benchfleet/shared";
import type { EvalRunner, PointRunner, PointRunOptions } from "./executor.js";
import type { LoadPointOptions } from "./loadgen/load-options.js";
import { runLoadPoint } from "./loadgen/run-load-point.js";
import type { TraceSource } from "./loadgen/trace-source.js";

/**
 * Load-generator threads for a point: one per 64 streams, at most a quarter of the node's cores (the
 * engines on the node need theirs). Measured on a 16-core GPU node (bench/README.md): at 256 streams
 * one event loop stamps some chunks up to 9 ms late while it sends a wave of requests, four threads
 * keep the client's ITL error p99 ≤ 1.4 ms; at 1024 streams four threads move 1.2 M tokens/s.
 */
export function workersFor(concurrency: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(Math.floor(cores / 4), Math.floor(concurrency / 64)));
}

/** the lab's `--random-seed` for the replay */
const AGENTIC_SEED = 42;

/**
 * The trace of an agentic point when the agent was given none: the synthetic generator with the
 * lab's replay seed (42) and as many trajectories as the lab's corpus loads (393).
 */
export const DEFAULT_AGENTIC_TRACE: TraceSource = { synthetic: { seed: AGENTIC_SEED, trajectories: 393 } };

export const loadgenPointRunner: PointRunner = async (o) => {
  const result = await runLoadPoint({
    baseUrl: o.baseUrl,
    model: o.model,
    ...promptSettings(o),
    isl: o.point.isl,
    osl: o.point.osl,
    concurrency: o.point.concurrency,
    ...(o.point.requestRate !== undefined ? { requestRate: o.point.requestRate } : {}),
    ...(o.point.rangeRatio !== undefined ? { rangeRatio: o.point.rangeRatio } : {}),
    ...(o.point.warmupRequestRate !== undefined ? { warmupRequestRate: o.point.warmupRequestRate } : {}),
    ...(o.point.freshConnections !== undefined ? { freshConnections: o.point.freshConnections } : {}),
    ...(o.point.warmupsPerConc !== undefined ? { warmups: o.point.warmupsPerConc * o.point.concurrency } : {}),
    workers: workersFor(o.point.concurrency),
    numPrompts: o.numPrompts,
    gpus: o.gpus,
    emulated: o.emulated,
    timing: o.timing,
    ...(o.agentic ? agenticSettings(o.point, o.agentic.durationS, o.agentic.trace) : {}),
    signal: o.signal,
    onProgress: o.onProgress,
    progressIntervalMs: o.progressIntervalMs,
  });
  // the stored point carries the client settings it ran with
  return { ...result, point: { ...result.point, ...clientSettings(o.point) } };
};

/**
 * An agentic point's replay options: the lab client's settings the point carries (its script's or
 * recipe's AIPERF_* / AGENTIC_* env), else the lab's defaults; the post-run failure threshold is the
 * point's accepted failure fraction; the lab's seed; its extra inputs go into every request body.
 */
export function agenticSettings(
  point: LoadPoint,
  durationS: number,
  trace: TraceSource | undefined,
): Pick<LoadPointOptions, "agentic" | "maxFailureFraction" | "seed" | "extraBody"> {
  const c = resolveAgenticClient(point.agenticClient, durationS);
  return {
    agentic: {
      trace: trace ?? DEFAULT_AGENTIC_TRACE,
      durationS: c.durationS,
      graceS: c.graceS,
      gapCapS: c.gapCapS,
      warmupRequestsPerLane: c.warmupRequestsPerLane,
      warmupGraceS: c.warmupGraceS,
      liveFailureThreshold: c.liveFailureThreshold,
      ...(c.sessionHeaders.length ? { sessionHeaders: c.sessionHeaders } : {}),
    },
    maxFailureFraction: c.failureThreshold,
    seed: AGENTIC_SEED,
    ...(Object.keys(c.extraInputs).length ? { extraBody: c.extraInputs } : {}),
  };
}

/**
 * The endpoint and prompts of a point. Lab prompts (the point's `prompts`, by default wherever the
 * agent found the model's tokenizer) go to /v1/completions with the chat template rendered by the
 * client, as the lab's client sends them, unless the recipe serves chat only or the lab's client
 * sends chat (`--backend openai-chat`): then the prompt is the user message. Token-id prompts go
 * there too; with the chat template they become text on the chat endpoint and the server applies it.
 * The lab replays agentic traces on the chat endpoint whatever the recipe serves.
 */
export function promptSettings(
  o: Pick<PointRunOptions, "api" | "agentic" | "point" | "tokenizerDir" | "modelId" | "model">,
): Pick<LoadPointOptions, "endpoint" | "promptFormat" | "modelTokenizerDir" | "clientTemplate"> {
  const chatOnly = o.api === "chat" || o.agentic !== undefined || o.point.clientBackend === "openai-chat";
  const lab = !o.agentic && (o.point.prompts ?? (o.tokenizerDir ? "lab" : "token-ids")) === "lab";
  if (!lab) return { endpoint: chatOnly || o.point.useChatTemplate ? "/v1/chat/completions" : "/v1/completions" };
  if (!o.tokenizerDir)
    throw new Error(
      `the point asks for lab prompts, but this agent found no tokenizer for ${o.modelId ?? o.model} ` +
        "(a tokenizer.json in the model's directory or its Hugging Face hub cache snapshot; see --hf-cache)",
    );
  const template = o.point.chatEncoding === "dsv4" ? "dsv4" : "model";
  return {
    endpoint: chatOnly ? "/v1/chat/completions" : "/v1/completions",
    promptFormat: "lab",
    modelTokenizerDir: o.tokenizerDir,
    ...(o.point.useChatTemplate && !chatOnly ? { clientTemplate: template } : {}),
  };
}

function clientSettings(p: LoadPoint): Partial<LoadPoint> {
  const out: Partial<LoadPoint> = {};
  if (p.requestRate !== undefined) out.requestRate = p.requestRate;
  if (p.useChatTemplate !== undefined) out.useChatTemplate = p.useChatTemplate;
  if (p.chatEncoding !== undefined) out.chatEncoding = p.chatEncoding;
  if (p.clientBackend !== undefined) out.clientBackend = p.clientBackend;
  if (p.prompts !== undefined) out.prompts = p.prompts;
  if (p.rangeRatio !== undefined) out.rangeRatio = p.rangeRatio;
  if (p.warmupsPerConc !== undefined) out.warmupsPerConc = p.warmupsPerConc;
  if (p.warmupRequestRate !== undefined) out.warmupRequestRate = p.warmupRequestRate;
  if (p.freshConnections !== undefined) out.freshConnections = p.freshConnections;
  if (p.minPrompts !== undefined) out.minPrompts = p.minPrompts;
  if (p.agenticClient !== undefined) out.agenticClient = p.agenticClient;
  return out;
}

/** the GSM8K runner, loaded lazily so the agent starts where the eval module is absent */
export async function loadEvalRunner(): Promise<EvalRunner | undefined> {
  try {
    const mod = (await import("./eval/index.js")) as unknown as {
      runGsm8k?: (o: Record<string, unknown>) => ReturnType<EvalRunner>;
    };
    const run = mod.runGsm8k;
    if (!run) return undefined;
    return (o) =>
      run({
        baseUrl: o.baseUrl,
        model: o.model,
        modelPrefix: o.modelPrefix,
        api: o.api,
        limit: o.limit,
        ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
        emulated: o.emulated,
        signal: o.signal,
      });
  } catch {
    return undefined;
  }
}
