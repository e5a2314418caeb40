/**
 * `emulate` (`benchfleet-agent emulate`, `benchfleet emulate`): runs the emulated engine (or its PD
 * router) as a real process. Prints `listening on http://host:port` once listening; stops cleanly on
 * SIGINT/SIGTERM.
 */

import { CliError, commaList } from "@benchfleet/shared";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { EmulatorOptionsInput, FaultSpec } from "../emulator/index.js";

const int =
  (what: string, min = 0) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min} for ${what}`);
    return n;
  };
const num = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number for ${what}`);
  return n;
};

interface Flags {
  host: string;
  port: number;
  role: "both" | "prefill" | "decode" | "router";
  sku: string;
  model: string;
  precision: string;
  tp: number;
  ep: number;
  pp: number;
  epGroup?: number;
  dpAttn?: boolean;
  spec: "mtp" | "none";
  servedModelName?: string;
  timeScale: number;
  maxRunning?: number;
  maxBatchTokens?: number;
  seed: number;
  ttftMs?: number;
  itlMs?: number;
  tokensPerChunk?: number;
  accuracy: number;
  prefill?: string[];
  decode?: string[];
  worker?: string[];
  healthIntervalMs: number;
  crashAfterS?: number;
  crashAfterRequests?: number;
  hangAfterS?: number;
  hangAfterRequests?: number;
  unavailableAfterS?: number;
  unavailableForS?: number;
  slowStartS?: number;
  dropAfterTokens?: number;
  dropRequests?: number;
  prefixCache?: boolean;
  prefixBlockTokens: number;
  cacheTokens?: number;
  dramOffloadGb: number;
  dramOffloadRatio: number;
  metricNames: "vllm" | "sglang";
  tokenizer?: string;
  quiet?: boolean;
}

export function registerEmulate(program: Command): void {
  program
    .command("emulate")
    .description(
      "run the emulated inference engine: an OpenAI-compatible server whose token timing follows a roofline model " +
        "of (SKU, model, parallelism, batch); or, with --role router, the PD router in front of prefill/decode emulators",
    )
    .addOption(
      new Option("--role <role>", "server role").choices(["both", "prefill", "decode", "router"]).default("both"),
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0 = any free port)", int("--port"), 8000)
    .option("--sku <sku>", "GPU SKU from configs/skus.yaml", "h200")
    .option("--model <model>", "model key or HF name (configs/models.yaml)", "llama3-8b")
    .option("--precision <p>", "fp4 | fp8 | bf16", "bf16")
    .option("--tp <n>", "tensor parallelism (GPUs of the worker)", int("--tp", 1), 1)
    .option("--ep <n>", "expert parallelism", int("--ep", 1), 1)
    .option("--pp <n>", "pipeline parallelism (stages of tp GPUs each)", int("--pp", 1), 1)
    .option(
      "--ep-group <n>",
      "GPUs of an expert-parallel group that spans other engine processes too (a per-node process of a DP group)",
      int("--ep-group", 1),
    )
    .option("--dp-attn", "data-parallel attention")
    .addOption(new Option("--spec <kind>", "speculative decoding").choices(["mtp", "none"]).default("none"))
    .option("--served-model-name <name>", "model id in /v1/models (default: the model's HF name)")
    .option("--time-scale <x>", "wall seconds per emulated second (0.01 = 100× faster)", num("--time-scale"), 1)
    .option("--max-running <n>", "most requests in the running batch", int("--max-running", 1))
    .option("--max-batch-tokens <n>", "token budget of one step (chunked prefill)", int("--max-batch-tokens", 1))
    .option("--seed <n>", "seed of MTP acceptance and the GSM8K oracle", int("--seed"), 0)
    .option("--ttft-ms <ms>", "fixed-delay mode: first token this many ms after arrival", num("--ttft-ms"))
    .option("--itl-ms <ms>", "fixed-delay mode: then a chunk every this many ms", num("--itl-ms"))
    .option("--tokens-per-chunk <k>", "fixed-delay mode: tokens per chunk", int("--tokens-per-chunk", 1))
    .option("--accuracy <p>", "probability of answering a GSM8K question correctly", num("--accuracy"), 0.95)
    .option("--prefill <url>", "router: prefill worker URL (repeat or comma-separate)", commaList)
    .option("--decode <url>", "router: decode worker URL (repeat or comma-separate)", commaList)
    .option(
      "--worker <url>",
      "router: aggregated worker URL, a frontend without PD (repeat or comma-separate)",
      commaList,
    )
    .option("--health-interval-ms <ms>", "router: worker health poll interval", int("--health-interval-ms", 1), 1000)
    .option("--crash-after-s <s>", "fault: exit after this many seconds", num("--crash-after-s"))
    .option(
      "--crash-after-requests <n>",
      "fault: exit after this many completed requests",
      int("--crash-after-requests", 1),
    )
    .option("--hang-after-s <s>", "fault: stop emitting and answering after this many seconds", num("--hang-after-s"))
    .option(
      "--hang-after-requests <n>",
      "fault: hang after this many completed requests",
      int("--hang-after-requests", 1),
    )
    .option(
      "--unavailable-after-s <s>",
      "fault: start answering 503 after this many seconds (with --unavailable-for-s)",
      num("--unavailable-after-s"),
    )
    .option("--unavailable-for-s <s>", "fault: answer 503 for this many seconds", num("--unavailable-for-s"))
    .option(
      "--slow-start-s <s>",
      "fault: /health and requests 503 for this many seconds after start",
      num("--slow-start-s"),
    )
    .option("--drop-after-tokens <n>", "fault: cut connections after this many tokens", int("--drop-after-tokens"))
    .option("--drop-requests <n>", "fault: only cut the next n requests (default all)", int("--drop-requests", 1))
    .option("--prefix-cache", "cache prompt blocks: a prompt's cached prefix is not prefilled again")
    .option("--prefix-block-tokens <n>", "tokens per prefix-cache block", int("--prefix-block-tokens", 1), 16)
    .option(
      "--cache-tokens <n>",
      "GPU prefix-cache size in tokens (default: the KV capacity)",
      int("--cache-tokens", 1),
    )
    .option("--dram-offload-gb <gb>", "host-DRAM KV offload tier, GB (0: none)", num("--dram-offload-gb"), 0)
    .option(
      "--dram-offload-ratio <r>",
      "host-DRAM KV offload tier as a multiple of the GPU tier (0: none)",
      num("--dram-offload-ratio"),
      0,
    )
    .addOption(
      new Option("--metric-names <engine>", "/metrics names: vLLM's or SGLang's")
        .choices(["vllm", "sglang"])
        .default("vllm"),
    )
    .option(
      "--tokenizer <dir>",
      "count prompt tokens with this tokenizer (tokenizer.json, tokenizer_config.json; chat through its template) " +
        "instead of one token per word",
    )
    .option("--quiet", "print only the listening line and errors")
    .addHelpText(
      "after",
      "\nEvery response carries x-benchfleet-emulated: 1 and x-benchfleet-time-scale; divide measured times by the scale.\n" +
        'Faults can also be injected at run time: POST /control/fault {"fault":"crash"|"hang"|"unavailable"|"slow-start"|"drop"|"clear",...}.',
    )
    .action(async (f: Flags) => {
      const { startEmulator, EmulatorConfigError } = await import("../emulator/index.js");
      const input = toOptions(f);
      const log = f.quiet ? undefined : (line: string) => console.error(`[emulator] ${line}`);
      let handle: Awaited<ReturnType<typeof startEmulator>>;
      try {
        handle = await startEmulator(input, {
          log,
          onCrash: () => {
            console.error("[emulator] fault: crash, exiting");
            process.exit(70);
          },
        });
      } catch (err) {
        if (err instanceof EmulatorConfigError) throw new CliError(err.message, 2);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw new CliError(`port ${f.port} on ${f.host} is already in use`, 2);
        throw err;
      }
      console.log(`listening on http://${f.host.includes(":") ? `[${f.host}]` : f.host}:${handle.port}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          void handle.close().then(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}

export function toOptions(f: Flags): EmulatorOptionsInput {
  if ((f.ttftMs === undefined) !== (f.itlMs === undefined))
    throw new CliError("fixed-delay mode needs both --ttft-ms and --itl-ms", 2);
  if (f.tokensPerChunk !== undefined && f.ttftMs === undefined)
    throw new CliError("--tokens-per-chunk is for fixed-delay mode (--ttft-ms/--itl-ms)", 2);
  if (f.unavailableAfterS !== undefined && f.unavailableForS === undefined)
    throw new CliError("--unavailable-after-s needs --unavailable-for-s", 2);
  if (f.dropRequests !== undefined && f.dropAfterTokens === undefined)
    throw new CliError("--drop-requests needs --drop-after-tokens", 2);
  if (f.role !== "router" && (f.prefill?.length || f.decode?.length))
    throw new CliError("--prefill/--decode are for --role router", 2);
  if (f.worker?.length && (f.role !== "router" || f.prefill?.length || f.decode?.length))
    throw new CliError("--worker is for --role router without --prefill/--decode", 2);
  if (f.role === "router" && !f.worker?.length && (!f.prefill?.length || !f.decode?.length))
    throw new CliError("--role router needs --prefill URL and --decode URL, or --worker URLs", 2);
  const faults: FaultSpec[] = [];
  if (f.slowStartS !== undefined) faults.push({ fault: "slow-start", forS: f.slowStartS });
  if (f.crashAfterS !== undefined || f.crashAfterRequests !== undefined) {
    faults.push({ fault: "crash", afterS: f.crashAfterS, afterRequests: f.crashAfterRequests });
  }
  if (f.hangAfterS !== undefined || f.hangAfterRequests !== undefined) {
    faults.push({ fault: "hang", afterS: f.hangAfterS, afterRequests: f.hangAfterRequests });
  }
  if (f.unavailableForS !== undefined)
    faults.push({ fault: "unavailable", afterS: f.unavailableAfterS, forS: f.unavailableForS });
  if (f.dropAfterTokens !== undefined)
    faults.push({ fault: "drop", afterTokens: f.dropAfterTokens, requests: f.dropRequests });
  return {
    host: f.host,
    port: f.port,
    role: f.role,
    sku: f.sku,
    model: f.model,
    precision: f.precision,
    tp: f.tp,
    ep: f.ep,
    pp: f.pp,
    epGroup: f.epGroup,
    dpAttn: f.dpAttn ?? false,
    spec: f.spec,
    servedModelName: f.servedModelName,
    timeScale: f.timeScale,
    maxRunning: f.maxRunning,
    maxBatchTokens: f.maxBatchTokens,
    seed: f.seed,
    fixedDelay:
      f.ttftMs !== undefined && f.itlMs !== undefined
        ? { ttftMs: f.ttftMs, itlMs: f.itlMs, tokensPerChunk: f.tokensPerChunk ?? 1 }
        : undefined,
    accuracy: f.accuracy,
    faults,
    prefill: f.prefill ?? [],
    decode: f.decode ?? [],
    worker: f.worker ?? [],
    healthIntervalMs: f.healthIntervalMs,
    prefixCache: f.prefixCache ?? false,
    prefixBlockTokens: f.prefixBlockTokens,
    cacheTokens: f.cacheTokens,
    dramOffloadGb: f.dramOffloadGb,
    dramOffloadRatio: f.dramOffloadRatio,
    metricNames: f.metricNames,
    ...(f.tokenizer ? { tokenizer: f.tokenizer } : {}),
  };
}
