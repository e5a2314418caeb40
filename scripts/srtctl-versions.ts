/**
 * The srt-slurm refs the lab's runner scripts pin (InferenceX `runners/launch_*.sh`, read by
 * runnerPins), each with the commit it names in an srt-slurm checkout and the srtctl defaults
 * benchfleet reads from that ref (srtctl-defaults.ts). docs/srt-slurm.md ("srtctl versions") holds
 * its output.
 *
 *   node --conditions=source --import tsx scripts/srtctl-versions.ts --lab <dir with InferenceX and srt-slurm>
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gitTree } from "@benchfleet/controller";
import { srtRecipeSource } from "@benchfleet/recipes";
import { runnerPins } from "@benchfleet/shared";

const i = process.argv.indexOf("--lab");
const lab = i > 0 ? process.argv[i + 1] : undefined;
if (!lab) {
  process.stderr.write("usage: srtctl-versions.ts --lab <dir with InferenceX and srt-slurm>\n");
  process.exit(2);
}
const runners = join(lab, "InferenceX", "runners");
const srt = join(lab, "srt-slurm");

/** the ref as the checkout names it (a branch is `origin/<branch>` there), or undefined */
function resolve(ref: string): { name: string; commit: string; date: string } | undefined {
  for (const name of [ref, `origin/${ref}`]) {
    try {
      const out = execFileSync("git", ["-C", srt, "log", "-1", "--format=%h %cs", `${name}^{commit}`], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
      const [commit = "", date = ""] = out.split(" ");
      return { name, commit, date };
    } catch {
      // not this spelling
    }
  }
  return undefined;
}

function defaults(name: string): string {
  const found = srtRecipeSource([`${srt}@${name}`], gitTree)("README.md");
  if ("error" in found) return "(no README.md)";
  const d = found.srtctl ?? {};
  return `DP ${d.dpLaunchMode ?? "?"}, ${d.requestPlane ?? "tcp"}, ${d.vllmCudaVisibleDevices ? "CUDA_VISIBLE_DEVICES" : "--device-ids"}${
    d.nginxKeepalive === false ? ", nginx without keepalive" : ""
  }${d.nginxMaxBody === false ? ", nginx without body limit" : ""}${d.sglangNcclPort === false ? ", SGLang without --nccl-port" : ""}`;
}

const rows: string[] = [];
for (const file of readdirSync(runners)
  .filter((f) => /^launch_.*\.sh$/.test(f))
  .sort()) {
  for (const pin of runnerPins(readFileSync(join(runners, file), "utf8"))) {
    const nvidia = pin.repo === "NVIDIA/srt-slurm";
    const ref = pin.ref === "(default branch)" && nvidia ? "main" : pin.ref;
    const at = nvidia ? resolve(ref) : undefined;
    const when = pin.when.filter((w) => w !== "IS_MULTINODE == true").join(" → ") || "(always)";
    rows.push(
      `| ${file}:${pin.line} | ${when.replace(/\|/g, "\\|")} | ${nvidia ? "" : `${pin.repo} `}\`${pin.ref}\` | ${
        at ? `${at.commit} ${at.date}` : nvidia ? "not in the checkout" : "fork, not in the checkout"
      } | ${at ? defaults(at.name) : ""} |`,
    );
  }
}
process.stdout.write(
  `| runner script:line | when (the script's conditions, outermost first) | ref | commit | defaults read (vLLM DP launch, request plane, vLLM GPUs, nginx, SGLang NCCL port) |\n|---|---|---|---|---|\n${rows.join("\n")}\n`,
);
