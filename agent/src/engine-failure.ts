/**
 * Classifies why an engine process died from the last lines it printed. Out of memory at this
 * parallelism and bad engine arguments are properties of the configuration, not of the node:
 * retrying them elsewhere only burns GPU time, so they are non-retryable. Anything else is retried.
 */
const NON_RETRYABLE: Array<{ re: RegExp; kind: string }> = [
  {
    re: /CUDA out of memory|HIP out of memory|torch\.(cuda\.)?OutOfMemoryError|\bout of memory\b|Not enough memory|insufficient (GPU|device) memory/i,
    kind: "oom",
  },
  {
    re: /error: unrecognized arguments|error: argument .*: invalid|error: the following arguments are required/i,
    kind: "bad-arguments",
  },
];

export interface EngineFailure {
  retryable: boolean;
  kind: "oom" | "bad-arguments" | "crash";
}

export function classifyEngineExit(tail: string[]): EngineFailure {
  const text = tail.join("\n");
  for (const { re, kind } of NON_RETRYABLE)
    if (re.test(text)) return { retryable: false, kind: kind as EngineFailure["kind"] };
  return { retryable: true, kind: "crash" };
}
