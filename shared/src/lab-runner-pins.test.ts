import { describe, expect, it } from "vitest";
import { runnerPins } from "./lab-runner-pins.js";

/** a runner script written in the shape of the lab's launch_<runner>.sh */
const SCRIPT = `#!/usr/bin/env bash
# git clone https://github.com/NVIDIA/srt-slurm.git "$SRT_REPO_DIR"   (a comment: not a clone)
if [[ "$IS_MULTINODE" == "true" ]]; then
    if [ -d "$SRT_REPO_DIR" ]; then
        rm -rf "$SRT_REPO_DIR"
    fi
    if [[ "$IS_AGENTIC" == "1" && $MODEL_PREFIX == "kimik3" ]]; then
        git clone --branch v1.0.53 --single-branch https://github.com/NVIDIA/srt-slurm.git "$SRT_REPO_DIR" || exit 1
        cd "$SRT_REPO_DIR" || exit 1
    elif [[ $FRAMEWORK == "dynamo-vllm" &&
            $MODEL_PREFIX == "dsv4" ]]; then
        git clone https://github.com/NVIDIA/srt-slurm.git "$SRT_REPO_DIR"
        cd "$SRT_REPO_DIR"
        if [[ -f uv.lock ]]; then
            echo keep
        fi
        git checkout v1.0.31
    elif [[ $FRAMEWORK == "dynamo-sglang" ]]; then
        if [[ "$USES_DCGM_POWER" == "1" ]]; then
            git clone "$POWER_SRT_SLURM_URL" "$SRT_REPO_DIR"
            git checkout "$POWER_SRT_SLURM_PIN" || exit 1
        else
            git clone https://github.com/NVIDIA/srt-slurm.git "$SRT_REPO_DIR"
        fi
    else
        git clone https://github.com/cquil11/srt-slurm-nv.git "$SRT_REPO_DIR"
        cd "$SRT_REPO_DIR"
        git checkout de59739b172e507e15ebf145bfe305f606e82fbf
    fi
fi
git clone https://github.com/other/tools.git tools
git checkout v9
`;

describe("runnerPins", () => {
  const pins = runnerPins(SCRIPT);

  it("finds every srt-slurm clone with the ref it ends on, and nothing else", () => {
    expect(pins.map((p) => [p.line, p.repo, p.ref])).toEqual([
      [8, "NVIDIA/srt-slurm", "v1.0.53"],
      [12, "NVIDIA/srt-slurm", "v1.0.31"],
      [20, "$POWER_SRT_SLURM_URL", "$POWER_SRT_SLURM_PIN"],
      [23, "NVIDIA/srt-slurm", "(default branch)"],
      [26, "cquil11/srt-slurm-nv", "de59739b172e507e15ebf145bfe305f606e82fbf"],
    ]);
  });

  it("gives each clone its enclosing conditions, a condition over several lines joined, else as else", () => {
    expect(pins.map((p) => p.when)).toEqual([
      ["IS_MULTINODE == true", "IS_AGENTIC == 1 && MODEL_PREFIX == kimik3"],
      ["IS_MULTINODE == true", "FRAMEWORK == dynamo-vllm && MODEL_PREFIX == dsv4"],
      ["IS_MULTINODE == true", "FRAMEWORK == dynamo-sglang", "USES_DCGM_POWER == 1"],
      ["IS_MULTINODE == true", "FRAMEWORK == dynamo-sglang", "else"],
      ["IS_MULTINODE == true", "else"],
    ]);
  });

  it("a checkout in a later branch does not move an earlier clone's ref", () => {
    const text = `if [[ $A == 1 ]]; then\n  git clone https://github.com/NVIDIA/srt-slurm.git d\nelse\n  git checkout v2\nfi\n`;
    expect(runnerPins(text).map((p) => p.ref)).toEqual(["(default branch)"]);
  });
});
