/**
 * Launch plans from srt-slurm recipes written by us in srt-slurm's format
 * (configs/srt-slurm-recipes/): the golden plan, the facts srtctl fixes (flags rendered from the
 * engine config, environment, dynamo install, etcd/NATS, frontends behind nginx), variants, and
 * refusals located at recipe-file:line:col with the row.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-sglang-gb200-1p1d.json", import.meta.url));
const CONFIG_FILE = "recipes/dsr1-fp4/gb200-disagg-1p1d.yaml";

function row(configFile = CONFIG_FILE, text?: string, decodeTp = 4): Deployment {
  const d = makeDeployment({
    configKey: "demo-dsr1-fp4-gb200-dynamo-sglang",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
    isl: 1024,
    concs: [4, 8],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 1, tp: decodeTp, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  const found = srtRecipeSource([RECIPES])(configFile.split(":")[0]!);
  if ("error" in found) throw new Error(found.error);
  return { ...d, srtRecipe: { configFile, path: "srt/dsr1-fp4/gb200-disagg-1p1d.yaml", text: text ?? found.text } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, pr })));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit)
    throw new Error(
      `no process ${name} in ${procs(p)
        .map((x) => x.pr.name)
        .join(", ")}`,
    );
  return hit.pr;
};
/** the command inside the dynamo install wrapper */
const command = (p: ProcessSpec) => (p.argv[0] === "bash" ? p.argv[2]!.split(" && exec ")[1]!.split(" ") : p.argv);

describe("launch from an srt-slurm recipe (dynamo + sglang, GB200 1P1D, TP4 each)", () => {
  const p = plan(row());

  it("matches golden/srt-dynamo-sglang-gb200-1p1d.json", () => {
    const text = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("renders the role's engine config as srtctl does: fixed flags, then the config sorted, lists spread", () => {
    const argv = command(byName(p, "prefill-0-rank0"));
    expect(argv.slice(0, 7)).toEqual([
      "python3",
      "-m",
      "dynamo.sglang",
      "--model-path",
      "nvidia/DeepSeek-R1-0528-FP4-V2",
      "--served-model-name",
      "deepseek-ai/DeepSeek-R1",
    ]);
    const cfg = argv.slice(argv.indexOf("nats") + 1);
    expect(cfg).toEqual([
      "--attention-backend",
      "trtllm_mla",
      "--cuda-graph-bs",
      "1",
      "2",
      "4",
      "8",
      "--disable-radix-cache",
      "--disaggregation-transfer-backend",
      "nixl",
      "--kv-cache-dtype",
      "fp8_e4m3",
      "--max-running-requests",
      "32",
      "--mem-fraction-static",
      "0.6",
      "--tensor-parallel-size",
      "4",
      "--trust-remote-code",
    ]);
    expect(argv).toContain("--disaggregation-bootstrap-port");
    expect(p.endpoint.model).toBe("deepseek-ai/DeepSeek-R1");
  });

  it("spans the decode worker over two nodes with dist-init, templating {node_id} per node", () => {
    const wide = readFileSync(`${RECIPES}dsr1-fp4/gb200-disagg-1p1d.yaml`, "utf8")
      .replace("  decode_nodes: 1\n", "  decode_nodes: 2\n")
      .replace(
        "      tensor-parallel-size: 4\n      disaggregation-transfer-backend: nixl\n\nbenchmark",
        "      tensor-parallel-size: 8\n      disaggregation-transfer-backend: nixl\n\nbenchmark",
      );
    const p = plan(row(CONFIG_FILE, wide, 8));
    const r0 = byName(p, "decode-0-rank0");
    const r1 = byName(p, "decode-0-rank1");
    const a0 = command(r0);
    const a1 = command(r1);
    expect(a0[a0.indexOf("--nnodes") + 1]).toBe("2");
    expect(a1[a1.indexOf("--node-rank") + 1]).toBe("1");
    expect(a1[a1.indexOf("--dist-init-addr") + 1]).toBe(a0[a0.indexOf("--dist-init-addr") + 1]);
    expect(r0.env.NODE_TAG).toBe("decode-1");
    expect(r1.env.NODE_TAG).toBe("decode-2");
    expect(r0.env.SGLANG_DECODE_BOOTSTRAP_TIMEOUT).toBe("1000");
    expect(r0.env.DYN_REQUEST_PLANE).toBe("nats");
    expect(r0.env.CUDA_VISIBLE_DEVICES).toBeUndefined();
  });

  it("installs the recipe's dynamo version in the container before the worker and the frontends", () => {
    for (const name of ["prefill-0-rank0", "decode-0-rank0", "frontend-0"]) {
      const pr = byName(p, name);
      expect(pr.argv[0]).toBe("bash");
      expect(pr.argv[2]).toContain("ai-dynamo-runtime==0.8.1 ai-dynamo==0.8.1");
    }
  });

  it("runs etcd and NATS (max payload 24 MB) in their own images on the head, nginx over two frontends", () => {
    expect(byName(p, "infra-etcd").image).toBe("quay.io/coreos/etcd:v3.5.21");
    const nats = byName(p, "infra-nats");
    expect(nats.image).toBe("nats:2.10.28");
    expect(nats.files[0]!.content).toContain(`max_payload: ${24 * 1024 * 1024}`);
    const fronts = procs(p).filter((x) => x.pr.role === "frontend");
    expect(fronts.map((x) => x.rank)).toEqual([1]);
    expect(command(fronts[0]!.pr)).toContain("--router-mode");
    const nginx = byName(p, "nginx");
    expect(nginx.files[0]!.content).toContain("server 10.0.0.2:");
    expect(nginx.files[0]!.content).not.toContain("server 10.0.0.1:");
    expect(nginx.ports.http).toBe(Number(new URL(p.endpoint.baseUrl).port));
  });
});

describe("reading srt-slurm recipes", () => {
  const text = readFileSync(`${RECIPES}dsr1-fp4/gb200-disagg-1p1d.yaml`, "utf8");

  it("refuses a field benchfleet cannot honour at recipe-file:line:col with the row", () => {
    const bad = text.replace("  version: 0.8.1\n", "  top_of_tree: true\n");
    expect(() => plan(row(CONFIG_FILE, bad))).toThrow(
      /^srt\/dsr1-fp4\/gb200-disagg-1p1d\.yaml:13:3: dynamo\.top_of_tree: cannot be honoured: .*\(row demo-dsr1-fp4-gb200-dynamo-sglang\)$/m,
    );
  });

  it("refuses an unknown key where it is written", () => {
    const bad = text.replace("  nats_max_payload_mb: 24\n", "  nats_max_payload_mb: 24\n  etcd_cluster_size: 3\n");
    expect(() => plan(row(CONFIG_FILE, bad))).toThrow(
      /gb200-disagg-1p1d\.yaml:25:3: infra\.etcd_cluster_size: unknown key/,
    );
  });

  it("refuses a recipe whose resources disagree with the row", () => {
    const bad = text.replace("  decode_nodes: 1\n", "  decode_nodes: 2\n");
    expect(() => plan(row(CONFIG_FILE, bad))).toThrow(
      /resources: decode: 8 GPUs a worker but the row's decode worker has 4/,
    );
  });

  it("takes the override variant the selector names, and the one matching the row without a selector", () => {
    const variants = `base:\n${text
      .split("\n")
      .map((l) => (l.startsWith("#") || !l ? l : `  ${l}`))
      .join(
        "\n",
      )}\noverride_lowmem:\n  backend:\n    sglang_config:\n      decode:\n        mem-fraction-static: 0.5\n`;
    const picked = plan(row(`${CONFIG_FILE}:override_lowmem`, variants));
    const argv = command(byName(picked, "decode-0-rank0"));
    expect(argv[argv.indexOf("--mem-fraction-static") + 1]).toBe("0.5");
    expect(picked.notes).toContain(
      `launched from srt-slurm recipe ${CONFIG_FILE}:override_lowmem (variant override_lowmem)`,
    );
    expect(() => plan(row(`${CONFIG_FILE}:override_nope`, variants))).toThrow(/selector override_nope not in the file/);
  });

  it("without a selector and no zip variant of the row's topology, names what srtctl would submit", () => {
    const indented = text
      .split("\n")
      .map((l) => (l.startsWith("#") || !l ? l : `  ${l}`))
      .join("\n");
    const zipped = `base:\n${indented}\nzip_override_lowlat:\n  resources:\n    decode_nodes: [2, 1]\n    decode_workers: [2, 1]\n  backend:\n    sglang_config:\n      decode:\n        max-running-requests: [1, 4]\n`;
    // the row: 1 decode worker of TP8 (two nodes)
    expect(() => plan(row(CONFIG_FILE, zipped, 8))).toThrow(
      /resources: no variant matches the row: srtctl submits each of the file's 2 variants as a job of its own \(base excluded\) and none has the row's topology \(zip_override_lowlat\[0\]: decode_workers 2 but the row has 1; zip_override_lowlat\[1\]: decode: 4 GPUs a worker but the row's decode worker has 8 \(tp 8\)\) \[variant zip_override_lowlat\[0\]\]/,
    );
    // the variant with the row's topology is taken
    const q = plan(row(CONFIG_FILE, zipped.replace("decode_nodes: [2, 1]", "decode_nodes: [2, 2]"), 8));
    expect(q.notes).toContain(`launched from srt-slurm recipe ${CONFIG_FILE} (variant zip_override_lowlat[1])`);
  });

  it("looks a CONFIG_FILE up in the last directory first, with and without its recipes/ prefix", () => {
    const [a, b] = [RECIPES.replace(/\/$/, ""), `${RECIPES}dsr1-fp4`];
    expect(srtRecipeSource([a, b])("recipes/x/y.yaml")).toEqual({
      error: `recipe recipes/x/y.yaml not found; searched ${b}/recipes/x/y.yaml, ${b}/x/y.yaml, ${a}/recipes/x/y.yaml, ${a}/x/y.yaml`,
    });
    const miss = srtRecipeSource([RECIPES])("recipes/none.yaml");
    expect(miss).toEqual({
      error: expect.stringMatching(/^recipe recipes\/none\.yaml not found; searched .*none\.yaml$/),
    });
    expect(() => srtRecipeSource(["/nonexistent-srt-dir"])).toThrow(
      "--srt-slurm /nonexistent-srt-dir: no such directory",
    );
  });
});
