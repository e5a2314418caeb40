/**
 * How the srt-slurm checkout's srtctl gives a vLLM worker its GPUs (srtctl-defaults.ts): from
 * srt-slurm #253 (v1.0.25) on, `--device-ids` on the vLLM command (main's default; a recipe's
 * `set_cuda_visible_devices: true` asks for the environment instead); before it (a98738de,
 * c1fb6989, sa-submission-q2-2026, the aflowers/* branches) the vLLM backend has no `--device-ids`
 * and the worker stage exports CUDA_VISIBLE_DEVICES for a worker that does not use its whole node,
 * which is what `set_cuda_visible_devices: true` renders. Pure over the backend's text.
 */

/** true where the checkout's vLLM backend selects GPUs only through CUDA_VISIBLE_DEVICES */
export function srtctlVllmCudaVisibleDevices(vllmBackend: string): boolean {
  return !vllmBackend.includes("--device-ids");
}
