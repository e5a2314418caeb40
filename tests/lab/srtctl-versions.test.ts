/**
 * Against the reference lab's real checkouts (skipped without them; BENCHFLEET_LAB_CHECKOUTS as in
 * srt-slurm-recipes.test.ts): the srt-slurm refs InferenceX's runner scripts pin (runnerPins) exist
 * in the srt-slurm checkout, and the srtctl defaults benchfleet reads from each
 * (srtctl-defaults.ts) are what the refs' sources say. The table is printed; docs/srt-slurm.md
 * ("srtctl versions") records it (scripts/srtctl-versions.ts writes it).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gitTree } from "@benchfleet/controller";
import { srtRecipeSource } from "@benchfleet/recipes";
import { runnerPins } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const RUNNERS = LAB ? join(LAB, "InferenceX", "runners") : "";
const SRT = LAB ? join(LAB, "srt-slurm") : "";

/** the ref as the checkout names it: itself, or `origin/<branch>` */
function resolve(ref: string): string | undefined {
  for (const name of [ref, `origin/${ref}`]) {
    try {
      execFileSync("git", ["-C", SRT, "rev-parse", "--verify", "--quiet", `${name}^{commit}`], { stdio: "ignore" });
      return name;
    } catch {
      // not this spelling
    }
  }
  return undefined;
}

/** every srt-slurm clone of the runner scripts (read in the tests: a skipped describe still runs its body) */
const runnerScriptPins = () =>
  readdirSync(RUNNERS)
    .filter((f) => /^launch_.*\.sh$/.test(f))
    .flatMap((f) => runnerPins(readFileSync(join(RUNNERS, f), "utf8")).map((p) => ({ file: f, ...p })));

describe.skipIf(!LAB || !existsSync(RUNNERS))("srt-slurm refs the lab's runner scripts pin", () => {
  it("finds the srt-slurm clones of the srtctl runners, each NVIDIA ref in the checkout", () => {
    const pins = runnerScriptPins();
    expect(new Set(pins.map((p) => p.file)).size).toBeGreaterThanOrEqual(6);
    const nvidia = pins.filter((p) => p.repo === "NVIDIA/srt-slurm");
    expect(nvidia.length).toBeGreaterThan(pins.length / 2);
    const missing = nvidia.filter((p) => !resolve(p.ref === "(default branch)" ? "main" : p.ref));
    expect(missing.map((p) => `${p.file}:${p.line} ${p.ref}`)).toEqual([]);
  });

  it("reads per ref the DP launch, request plane, vLLM GPUs, nginx.conf and SGLang NCCL port its srtctl sources have", () => {
    const pins = runnerScriptPins();
    const refs = [...new Set(pins.filter((p) => p.repo === "NVIDIA/srt-slurm").map((p) => p.ref))];
    const table = new Map<string, string>();
    for (const ref of refs) {
      const name = resolve(ref === "(default branch)" ? "main" : ref)!;
      const found = srtRecipeSource([`${SRT}@${name}`], gitTree)("README.md");
      if ("error" in found) throw new Error(found.error);
      const d = found.srtctl ?? {};
      table.set(ref, `${d.dpLaunchMode} ${d.requestPlane ?? "tcp"} ${d.vllmCudaVisibleDevices ? "cvd" : "device-ids"}`);
      if (d.nginxKeepalive === false) table.set(ref, `${table.get(ref)} no-keepalive`);
      if (d.nginxMaxBody === false) table.set(ref, `${table.get(ref)} no-body-limit`);
      if (d.sglangNcclPort === false) table.set(ref, `${table.get(ref)} no-nccl-port`);
      const schema = execFileSync("git", ["-C", SRT, "show", `${name}:src/srtctl/core/schema.py`], {
        encoding: "utf8",
      });
      const vllm = execFileSync("git", ["-C", SRT, "show", `${name}:src/srtctl/backends/vllm.py`], {
        encoding: "utf8",
      });
      const sglang = execFileSync("git", ["-C", SRT, "show", `${name}:src/srtctl/backends/sglang.py`], {
        encoding: "utf8",
      });
      expect([ref, d.sglangNcclPort !== false]).toEqual([ref, /"--nccl-port"/.test(sglang)]);
      // NATS where the schema's default says so, or where there is no request_plane field at all
      const nats = /request_plane: str = "nats"/.test(schema) || !/request_plane/.test(schema);
      expect([ref, d.requestPlane === "nats"]).toEqual([ref, nats]);
      expect([ref, d.vllmCudaVisibleDevices === true]).toEqual([ref, !vllm.includes("--device-ids")]);
      const nginx = execFileSync("git", ["-C", SRT, "show", `${name}:src/srtctl/templates/nginx.conf.j2`], {
        encoding: "utf8",
      });
      expect([ref, d.nginxKeepalive !== false, d.nginxMaxBody !== false]).toEqual([
        ref,
        nginx.includes("keepalive"),
        nginx.includes("client_max_body_size"),
      ]);
    }
    process.stdout.write(`${[...table].map(([r, v]) => `${r}: ${v}`).join("\n")}\n`);
    expect(table.get("main")).toBe("per_node tcp device-ids");
    expect(table.get("sa-submission-q2-2026")).toBe("per_gpu nats cvd no-keepalive no-body-limit no-nccl-port");
    expect(table.get("v1.0.44")).toBe("per_gpu tcp device-ids no-nccl-port");
    expect(table.get("v1.0.38")).toBe("per_gpu tcp device-ids no-keepalive no-nccl-port");
  });
});
