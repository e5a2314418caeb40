/** The client options read from scripts in the lab's form (written here, not the lab's files). */
import { describe, expect, it } from "vitest";
import { scriptClientOptions } from "./lab-script-client.js";

const script = (client: string) => `#!/usr/bin/env bash
# passes --dsv4 to run_benchmark_serving (a comment: not the call)
source "$(dirname "$0")/../../benchmark_lib.sh"
vllm serve "$MODEL" --port "$PORT" > "$SERVER_LOG" 2>&1 &
wait_for_server_ready --port "$PORT"
run_benchmark_serving \\
    --model "$MODEL" \\
    --num-prompts "$((CONC * 10))" \\
    --result-dir /workspace/${client}

if [ "\${RUN_EVAL}" = "true" ]; then
    run_eval --framework lm-eval --port "$PORT" --use-chat-template
fi
`;

describe("scriptClientOptions", () => {
  it("reads the options of the run_benchmark_serving call, not of comments or later commands", () => {
    expect(scriptClientOptions(script(""))).toEqual({});
    expect(scriptClientOptions(script(" \\\n    --use-chat-template"))).toEqual({ "use-chat-template": true });
    expect(scriptClientOptions(script(" \\\n    --trust-remote-code \\\n    --dsv4"))).toEqual({ dsv4: true });
    expect(
      scriptClientOptions(script(" \\\n    --backend openai-chat \\\n    --endpoint /v1/chat/completions")),
    ).toEqual({ backend: "openai-chat" });
    expect(scriptClientOptions(script(" \\\n    --backend vllm"))).toEqual({});
  });

  it("a script that makes no call has none", () => {
    expect(scriptClientOptions("#!/bin/bash\nvllm serve m\n")).toBeUndefined();
  });
});
