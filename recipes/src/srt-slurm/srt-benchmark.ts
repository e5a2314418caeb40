/**
 * The load settings of an srt-slurm recipe's `benchmark:` section (pure), as srtctl's sa-bench
 * runs them (benchmarks/sa_bench.py → scripts/sa-bench/bench.sh → benchmark_serving.py):
 *
 * - `isl`, `osl` must agree with the master-config row (a recipe that measures something else is
 *   a plan error naming both places);
 * - `concurrencies`: srtctl runs the recipe's whatever the row says (the lab's runners pass only
 *   the recipe), and the lab stores each result at the concurrency sa-bench ran (InferenceX
 *   utils/process_result.py reads `max_concurrency` from the result). Where they differ from the
 *   row's, the row's points are the recipe's concurrencies, with a warning naming both places;
 * - `req_rate` → the point's request rate (`inf`: none);
 * - `use_chat_template` (srtctl's default true) → the point's prompts go through the model's chat
 *   template: benchfleet sends them to the chat endpoint and the server applies its own template,
 *   where sa-bench wraps them client-side and subtracts the template's length from the ISL; both
 *   send ISL prompt tokens in all (the load generator calibrates on the server's counts);
 * - `custom_tokenizer`, `tokenizer_mode`: the client-side tokenizer sa-bench loads to build and
 *   count those prompts (e.g. DeepSeek-V4's chat encoding); benchfleet counts with the server's
 *   own tokenizer, which is what they reproduce;
 * - `num_prompts_mult` (default 10) → prompts per unit of concurrency, `num_warmup_mult`
 *   (default 2) → warm-ups per unit of concurrency, `random_range_ratio` (default 0.8) → the
 *   drawn lengths' range;
 * - `warmup_req_rate` (sa-bench's default 250/s, the rate srt-slurm main's bench.sh fixes) → the
 *   warm-ups' request rate (`inf`: unpaced);
 * - `reuse_http_connections` (default false): sa-bench opens an aiohttp session, so a new
 *   connection, per request unless it is true → the point's `freshConnections`.
 *
 * `client_placement` other than head and an sa-bench `env` cannot be honoured. A `manual` benchmark
 * gives no settings: srtctl runs no client, benchfleet's defaults apply.
 *
 * An agentic-coding row's benchmark (the lab's agentic_srt.sh) is not run: benchfleet replays the
 * traces, with the lab client's settings its `env` gives (AIPERF_* / AGENTIC_*, as build_replay_cmd
 * reads them; shared/src/agentic-client.ts) on the row's points. A value that is not what its name
 * takes is a plan error at the recipe's env entry.
 */
import type { ConfigProblem, SrtBenchmark, SrtRecipeRef, SrtRow, SrtRowLoad } from "@benchfleet/shared";
import { agenticClientFromEnv, formatProblem, RecipeError } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";
import type { SrtRecipe } from "./srt-recipe.js";

/** sa_bench.py's defaults when the recipe leaves a field out */
export const SA_BENCH_DEFAULTS = { promptsPerConc: 10, warmupsPerConc: 2, rangeRatio: 0.8, warmupRate: 250 } as const;

export function srtBenchmark(
  ref: SrtRecipeRef,
  row: SrtRow,
  load: SrtRowLoad,
): SrtBenchmark | { problems: ConfigProblem[] } | undefined {
  let read: ReturnType<typeof readSrtRecipe>;
  try {
    read = readSrtRecipe(ref, row);
  } catch (e) {
    if (e instanceof RecipeError) return undefined;
    throw e;
  }
  const b = read.recipe.benchmark;
  const rowName = `the master-config row ${row.configKey}${load.at ? ` (${load.at})` : ""}`;
  if (row.scenario === "agentic-coding") {
    const what = b.command ? `${b.type} (${b.command})` : b.type;
    const client = agenticClientFromEnv(b.env);
    if (client.problems.length)
      return {
        problems: client.problems.map((p) => read.at(["benchmark", "env", p.name], `${p.message} (${rowName})`)),
      };
    return {
      point: Object.keys(client.options).length ? { agenticClient: client.options } : {},
      warning: formatProblem(
        read.at(
          ["benchmark", "type"],
          `benchmark ${what} is not run for ${rowName}, an agentic-coding row: benchfleet replays its traces instead`,
        ),
      ),
    };
  }
  const problems: ConfigProblem[] = [];
  const at = (field: string, message: string) => problems.push(read.at(["benchmark", field], message));
  if (b.isl != null && b.isl !== load.isl) at("isl", `isl ${b.isl} but ${rowName} has isl ${load.isl}`);
  if (b.osl != null && b.osl !== load.osl) at("osl", `osl ${b.osl} but ${rowName} has osl ${load.osl}`);
  const concs = recipeConcurrencies(b.concurrencies);
  const rowConcs = [...new Set(load.concurrencies)].sort((x, y) => x - y);
  let measured: Pick<SrtBenchmark, "concurrencies" | "warning"> = {};
  if (concs && "error" in concs) at("concurrencies", concs.error);
  else if (concs && concs.join(",") !== rowConcs.join(","))
    measured = {
      concurrencies: concs,
      warning: formatProblem(
        read.at(
          ["benchmark", "concurrencies"],
          `srtctl runs the recipe's concurrencies ${concs.join(", ")} where ${rowName} names ${rowConcs.join(", ")}: the row's points are measured and stored at ${concs.join(", ")}, as the lab's results are`,
        ),
      ),
    };
  const rate = requestRate(b.req_rate);
  if (typeof rate === "object") at("req_rate", rate.error);
  const warmupRate = b.warmup_req_rate == null ? SA_BENCH_DEFAULTS.warmupRate : requestRate(b.warmup_req_rate);
  if (warmupRate && typeof warmupRate === "object")
    at("warmup_req_rate", warmupRate.error.replace(/^req_rate/, "warmup_req_rate"));
  if (b.client_placement !== "head")
    at(
      "client_placement",
      `cannot be honoured: the client on ${b.client_placement}: benchfleet's load generator runs on the gang's head node (rank 0) (${rowName})`,
    );
  if (b.type === "sa-bench" && Object.keys(b.env).length)
    at(
      "env",
      `cannot be honoured: environment for srtctl's benchmark script; benchfleet runs its own load generator (${rowName})`,
    );
  if (problems.length) return { problems };
  if (b.type !== "sa-bench") return { point: {}, ...measured };
  return {
    ...measured,
    point: {
      ...(typeof rate === "number" ? { requestRate: rate } : {}),
      ...(typeof warmupRate === "number" ? { warmupRequestRate: warmupRate } : {}),
      freshConnections: !b.reuse_http_connections,
      useChatTemplate: b.use_chat_template,
      rangeRatio: b.random_range_ratio ?? SA_BENCH_DEFAULTS.rangeRatio,
      warmupsPerConc: b.num_warmup_mult ?? SA_BENCH_DEFAULTS.warmupsPerConc,
    },
    promptsPerConc: b.num_prompts_mult ?? SA_BENCH_DEFAULTS.promptsPerConc,
  };
}

/** srtctl's `list[int] | str`: a list, or `4x8x16` as bench.sh splits it; sorted, unique */
function recipeConcurrencies(c: SrtRecipe["benchmark"]["concurrencies"]): number[] | { error: string } | undefined {
  if (c == null) return undefined;
  const parts = Array.isArray(c) ? c.map(String) : String(c).split("x");
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p.trim());
    if (!/^\d+$/.test(p.trim()) || !(n > 0))
      return { error: `concurrencies ${JSON.stringify(c)}: ${JSON.stringify(p)} is not a positive integer` };
    out.push(n);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

/** `inf` (no pacing) or requests/s */
function requestRate(r: string | number): number | undefined | { error: string } {
  const text = String(r).trim();
  // sa_bench.py passes a falsy rate (0) as "inf"
  if (text === "inf" || r === 0) return undefined;
  const n = Number(text);
  if (text === "" || !Number.isFinite(n) || n <= 0)
    return { error: `req_rate ${JSON.stringify(r)} is neither a positive number of requests/s nor "inf"` };
  return n;
}
