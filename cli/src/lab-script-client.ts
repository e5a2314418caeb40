/**
 * The lab benchmark client's options a single-node script passes: its `run_benchmark_serving` call
 * (benchmark_lib.sh), read from the script's text, as a script preset's `client:` block. Pure.
 */

export interface ScriptClientOptions {
  "use-chat-template"?: true;
  dsv4?: true;
  backend?: "openai-chat";
}

/**
 * The `client:` block of the script `text` (a line starting with `run_benchmark_serving` and its
 * backslash-continued lines; a comment naming it does not count); undefined when the script makes no
 * such call.
 */
export function scriptClientOptions(text: string): ScriptClientOptions | undefined {
  const call = /^[ \t]*run_benchmark_serving((?:[^\n]*\\\n)*[^\n]*)/m.exec(text)?.[1];
  if (call === undefined) return undefined;
  return {
    ...(/--use-chat-template\b/.test(call) ? { "use-chat-template": true as const } : {}),
    ...(/--dsv4\b/.test(call) ? { dsv4: true as const } : {}),
    ...(/--backend[ \t]+openai-chat\b/.test(call) ? { backend: "openai-chat" as const } : {}),
  };
}
