/**
 * An inference server's command line in a comparable form: the engine, its flags under canonical
 * names (as the engine's argument parser treats them: `--kv_cache_dtype` is `--kv-cache-dtype`,
 * SGLang's `--tp` is `--tensor-parallel-size`), the environment it was started with and, for
 * TensorRT-LLM, the extra-LLM-API options. Both a lab script's traced launch and a benchfleet
 * launch plan's process are read into this form, so the two can be held side by side. Pure.
 */
import { parse as parseYaml } from "yaml";
import type { Engine } from "./preset.js";

export type FlagValue = string | true;

export interface ServerCommand {
  engine: Engine;
  /** canonical flag name → value (`true` for a switch) */
  flags: Record<string, FlagValue>;
  /** canonical flag name → the spelling the command used (`kv_cache_dtype`, `-tp`) */
  spelling: Record<string, string>;
  env: Record<string, string>;
  /** TensorRT-LLM extra-LLM-API options (the YAML file the command names), parsed */
  config?: Record<string, unknown>;
}

const ALIASES: Partial<Record<Engine, Record<string, string>>> = {
  sglang: {
    tp: "tensor-parallel-size",
    "tp-size": "tensor-parallel-size",
    dp: "data-parallel-size",
    "dp-size": "data-parallel-size",
    ep: "ep-size",
    "expert-parallel-size": "ep-size",
    pp: "pipeline-parallel-size",
    "pp-size": "pipeline-parallel-size",
    model: "model-path",
  },
  vllm: { tp: "tensor-parallel-size", dp: "data-parallel-size", pp: "pipeline-parallel-size" },
  atom: { tp: "tensor-parallel-size" },
};

/** Flags that place the server (address, port, model, options-file path): set by the placement, never compared. */
export const PLACEMENT_FLAGS = new Set([
  "host",
  "port",
  "server-port",
  "model",
  "model-path",
  "served-model-name",
  "config",
  "extra-llm-api-options",
]);

/** The canonical name of a flag as `engine`'s argument parser reads it. */
export function canonicalFlag(engine: Engine, raw: string): string {
  const name = raw.replace(/^-+/, "").toLowerCase().replaceAll("_", "-");
  return ALIASES[engine]?.[name] ?? name;
}

const ENGINE_STARTS: { engine: Engine; match: (argv: readonly string[], i: number) => number }[] = [
  { engine: "vllm", match: (a, i) => (a[i] === "vllm" && a[i + 1] === "serve" ? i + 2 : -1) },
  { engine: "sglang", match: (a, i) => (a[i] === "sglang" && a[i + 1] === "serve" ? i + 2 : -1) },
  {
    engine: "sglang",
    match: (a, i) =>
      /^python3?$/.test(base(a[i])) && a[i + 1] === "-m" && a[i + 2] === "sglang.launch_server" ? i + 3 : -1,
  },
  {
    engine: "atom",
    match: (a, i) =>
      /^python3?$/.test(base(a[i])) && a[i + 1] === "-m" && a[i + 2] === "atom.entrypoints.openai_server" ? i + 3 : -1,
  },
  { engine: "trt", match: (a, i) => (base(a[i]) === "trtllm-serve" && a[i + 1] !== "disaggregated" ? i + 1 : -1) },
];

function base(s: string | undefined): string {
  return (s ?? "").split("/").pop() ?? "";
}

/** Where the server's own arguments start in an argv (after wrappers such as mpirun), and its engine. */
export function findServer(argv: readonly string[]): { engine: Engine; start: number } | undefined {
  for (let i = 0; i < argv.length; i++) {
    for (const s of ENGINE_STARTS) {
      const start = s.match(argv, i);
      if (start >= 0) return { engine: s.engine, start };
    }
  }
  return undefined;
}

/**
 * Reads a server argv: `--flag value`, `--flag=value` and switches; positional words (the model of
 * `vllm serve M`, `trtllm-serve M`) are skipped. `configYaml` is the text of the TensorRT-LLM
 * options file the command names. Undefined when no known server is in the argv.
 */
export function parseServerArgv(
  argv: readonly string[],
  env: Record<string, string> = {},
  configYaml?: string,
): ServerCommand | undefined {
  const found = findServer(argv);
  if (!found) return undefined;
  const flags: Record<string, FlagValue> = {};
  const spelling: Record<string, string> = {};
  const args = argv.slice(found.start);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-") || a === "-" || a === "--") continue;
    const eq = a.indexOf("=");
    const raw = eq > 0 ? a.slice(0, eq) : a;
    const name = canonicalFlag(found.engine, raw);
    let value: FlagValue;
    if (eq > 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length && !isFlag(args[i + 1]!)) value = args[++i]!;
    else value = true;
    flags[name] = value;
    spelling[name] = raw.replace(/^--/, "");
  }
  if (configYaml === undefined) return { engine: found.engine, flags, spelling, env };
  const config = (parseYaml(configYaml) as Record<string, unknown> | null) ?? {};
  return { engine: found.engine, flags, spelling, env, config };
}

function isFlag(s: string): boolean {
  return /^--?[A-Za-z]/.test(s);
}
