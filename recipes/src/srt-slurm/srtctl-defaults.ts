/**
 * srtctl's defaults that differ between its versions, read from the srt-slurm checkout a plan reads
 * its recipes from (the last `--srt-slurm` entry holding srtctl's sources), so a recipe that leaves
 * them out launches as the srtctl the lab's runner pins would launch it:
 *
 * - vLLM `backend.dp_launch_mode`: `per_node` from srt-slurm #331 (main c88ef731) on; `per_gpu`
 *   before (v1.0.31, v1.0.45, v1.0.53, c180328b: `dp_launch_mode: DPLaunchMode = "per_gpu"`), and
 *   per GPU only where the field does not exist yet (sa-submission-q2-2026,
 *   aflowers/vllm-gb200-v0.20.0: one process per GPU is their only DP launch).
 * - dynamo `request_plane`: srtctl-request-plane.ts; given only where it is not main's `tcp`.
 * - vLLM `backend.set_cuda_visible_devices`: srtctl-vllm-gpus.ts; given only where the checkout's
 *   srtctl has no `--device-ids` (true).
 * - nginx.conf: srtctl-nginx.ts; given only where the checkout's template lacks main's lines.
 * - SGLang `--nccl-port`: srtctl derives one per worker from srt-slurm #318 on; before, it passes
 *   none (and keeps a recipe's `nccl-port` in its config). Given only where the checkout's SGLang
 *   backend has no `--nccl-port` (false).
 *
 * An entry without srtctl's sources (an overlay of recipes) says nothing: the reader's defaults
 * (srt-recipe.ts, main's) apply. Pure over the trees.
 */
import type { SrtRecipeRef } from "@benchfleet/shared";
import type { SrtTree } from "./srt-tree.js";
import { srtctlNginx } from "./srtctl-nginx.js";
import { srtctlRequestPlane } from "./srtctl-request-plane.js";
import { srtctlVllmCudaVisibleDevices } from "./srtctl-vllm-gpus.js";

const VLLM_BACKEND = "src/srtctl/backends/vllm.py";
const NGINX_TEMPLATE = "src/srtctl/templates/nginx.conf.j2";
const SGLANG_BACKEND = "src/srtctl/backends/sglang.py";

export type SrtctlDefaults = NonNullable<SrtRecipeRef["srtctl"]>;

export function srtctlDefaults(trees: SrtTree[]): SrtctlDefaults | undefined {
  const tree = [...trees].reverse().find((t) => t.read(VLLM_BACKEND) !== undefined);
  if (!tree) return undefined;
  const vllm = tree.read(VLLM_BACKEND) ?? "";
  const dpLaunchMode = vllmDpLaunchMode(vllm);
  const requestPlane = srtctlRequestPlane(tree);
  const sglang = tree.read(SGLANG_BACKEND);
  const out: SrtctlDefaults = {
    ...(dpLaunchMode ? { dpLaunchMode } : {}),
    ...(requestPlane && requestPlane !== "tcp" ? { requestPlane } : {}),
    ...(srtctlVllmCudaVisibleDevices(vllm) ? { vllmCudaVisibleDevices: true } : {}),
    ...srtctlNginx(tree.read(NGINX_TEMPLATE) ?? "keepalive client_max_body_size"),
    ...(sglang !== undefined && !sglang.includes('"--nccl-port"') ? { sglangNcclPort: false } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

function vllmDpLaunchMode(text: string): SrtctlDefaults["dpLaunchMode"] {
  const declared = /^\s*dp_launch_mode:\s*DPLaunchMode\s*=\s*"(per_gpu|per_node)"/m.exec(text)?.[1];
  if (declared === "per_gpu" || declared === "per_node") return declared;
  // before dp_launch_mode existed, a data-parallel role was launched one process per GPU
  if (!/dp_launch_mode/.test(text) && /one process per GPU/.test(text)) return "per_gpu";
  return undefined;
}
