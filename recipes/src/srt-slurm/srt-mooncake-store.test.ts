/**
 * A vLLM recipe's Mooncake store (`backend.mooncake_kv_store`) launched as srtctl launches it, over
 * a recipe written by us in srt-slurm's format
 * (configs/srt-slurm-recipes/dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml): the golden plan,
 * the master beside etcd/NATS with srtctl's flags then the recipe's, the store config file, every
 * worker's variables, the connector unchanged, and srtctl's refusal of a store no worker uses.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Deployment, type LaunchPlan, type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { MOONCAKE_STORE_CONFIG_PATH } from "./srt-mooncake-store.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-vllm-gb200-1p1d-mooncake.json", import.meta.url));
const CONFIG_FILE = "recipes/dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml";
const TEXT = readFileSync(`${RECIPES}dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml`, "utf8");
const FILE = "srt/dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml";

function row(text = TEXT, infraNodes = 0): Deployment {
  const settings = [`CONFIG_FILE=${CONFIG_FILE}`];
  const d = makeDeployment({
    configKey: "test-dsr1-fp4-gb200-dynamo-vllm-agentic",
    sku: "gb200",
    framework: "dynamo-vllm",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "vllm/vllm-openai:v0.27.1",
    concs: [8, 16],
    prefill: { numWorker: 1, tp: 4, additionalSettings: settings },
    decode: { numWorker: 1, tp: 4, additionalSettings: settings },
  });
  return {
    ...d,
    scenario: "agentic-coding",
    agentic: { durationS: 60, kvOffloading: "none", dramOffloadGb: 0 },
    ...(infraNodes ? { infraNodes } : {}),
    srtRecipe: { configFile: CONFIG_FILE, path: FILE, text },
  };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, ip: n.ip, pr })));
const byName = (p: LaunchPlan, name: string) => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit) throw new Error(`no process ${name} in ${procs(p).map((x) => x.pr.name)}`);
  return hit;
};
/** the command inside the dynamo install wrapper */
const command = (p: ProcessSpec) => (p.argv[0] === "bash" ? p.argv[2]! : p.argv.join(" "));
const failure = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof RecipeError) return e.message;
    throw e;
  }
  throw new Error("no RecipeError");
};

describe("a vLLM recipe's Mooncake store (backend.mooncake_kv_store), as srtctl launches it", () => {
  const p = plan(row());
  const base = makePlacement(row()).portBase;
  const [rpc, metrics, metadata] = [base + 464, base + 465, base + 466];

  it("matches golden/srt-dynamo-vllm-gb200-1p1d-mooncake.json", () => {
    const text = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("starts mooncake_master beside etcd and NATS: srtctl's flags, then the recipe's extra args unchanged", () => {
    const { rank, ip, pr } = byName(p, "infra-mooncake-master");
    expect(rank).toBe(byName(p, "infra-etcd").rank);
    expect(pr.role).toBe("infra");
    expect(pr.image).toBe("vllm/vllm-openai:v0.27.1");
    expect(pr.env).toEqual({});
    expect(pr.stage).toBe(byName(p, "infra-etcd").pr.stage);
    expect(pr.argv).toEqual([
      "mooncake_master",
      `--port=${rpc}`,
      "--enable_http_metadata_server=true",
      `--http_metadata_server_port=${metadata}`,
      "--eviction_high_watermark_ratio=0.9",
      "--default_kv_lease_ttl=10000",
      "--rpc_thread_num=16",
      "--enable_metric_reporting=true",
      `--metrics_port=${metrics}`,
      "--eviction_ratio=0.10",
      "--eviction_high_watermark_ratio=0.95",
    ]);
    expect(pr.ports).toEqual({ rpc, metadata, metrics });
    // the workers start once all three answer, as srtctl waits for them
    expect(pr.health).toEqual([rpc, metadata, metrics].map((port) => ({ kind: "tcp", host: ip, port })));
    expect(byName(p, "prefill-0-rank0").pr.stage).toBeGreaterThan(pr.stage);
  });

  it("gives every worker the store config: the recipe's store_config as written, the master's address added", () => {
    const master = byName(p, "infra-mooncake-master");
    for (const name of ["prefill-0-rank0", "decode-0-rank0"]) {
      const files = byName(p, name).pr.files.filter((f) => f.path === MOONCAKE_STORE_CONFIG_PATH);
      expect(files).toHaveLength(1);
      // Python's json.dumps(indent=2), key order kept
      expect(files[0]!.content).toBe(
        [
          "{",
          '  "metadata_server": "P2PHANDSHAKE",',
          '  "global_segment_size": "96GB",',
          '  "local_buffer_size": "4GB",',
          '  "protocol": "rdma",',
          '  "device_name": "mlx5_0,mlx5_1,mlx5_2,mlx5_3",',
          '  "mode": "embedded",',
          '  "enable_offload": false,',
          `  "master_server_address": "${master.ip}:${rpc}"`,
          "}",
        ].join("\n"),
      );
    }
    for (const name of ["infra-mooncake-master", "infra-etcd", "frontend"])
      expect(byName(p, name).pr.files.map((f) => f.path)).not.toContain(MOONCAKE_STORE_CONFIG_PATH);
  });

  it("sets srtctl's Mooncake variables on every worker, over the role's and the recipe's environment", () => {
    const master = byName(p, "infra-mooncake-master");
    for (const name of ["prefill-0-rank0", "decode-0-rank0"]) {
      const { ip, pr } = byName(p, name);
      expect(pr.env).toMatchObject({
        MOONCAKE_LOCAL_HOSTNAME: ip,
        MC_STORE_CLIENT_METRIC: "1",
        MC_TE_METRIC: "0",
        MOONCAKE_MASTER: `${master.ip}:${rpc}`,
        MOONCAKE_TE_META_DATA_SERVER: `http://${master.ip}:${metadata}/metadata`,
        MOONCAKE_CONFIG_PATH: "/logs/mooncake_store_config.json",
        PYTHONHASHSEED: "0",
      });
      expect(Object.keys(pr.env)).toEqual(Object.keys(pr.env).sort());
    }
    expect(byName(p, "prefill-0-rank0").pr.env.VLLM_MOONCAKE_STORE_SEND_THREADS).toBe("8");
    expect(byName(p, "decode-0-rank0").pr.env.VLLM_MOONCAKE_LOAD_RECV_THREADS).toBe("20");
    // the workers are on two nodes: each names its own
    expect(byName(p, "prefill-0-rank0").ip).not.toBe(byName(p, "decode-0-rank0").ip);
    expect(byName(p, "frontend").pr.env.MOONCAKE_MASTER).toBeUndefined();
  });

  it("a MOONCAKE_* variable in mooncake_kv_store.env wins over srtctl's local hostname, not over its master", () => {
    const text = TEXT.replace(
      '      MC_TE_METRIC: "0"\n',
      '      MC_TE_METRIC: "0"\n      MOONCAKE_LOCAL_HOSTNAME: "10.9.9.9"\n      MOONCAKE_MASTER: "10.9.9.9:1"\n',
    );
    const env = byName(plan(row(text)), "decode-0-rank0").pr.env;
    expect(env.MOONCAKE_LOCAL_HOSTNAME).toBe("10.9.9.9");
    expect(env.MOONCAKE_MASTER).toBe(`${byName(p, "infra-mooncake-master").ip}:${rpc}`);
  });

  it("passes each role's kv-transfer-config (MultiConnector: NIXL beside MooncakeStoreConnector) unchanged", () => {
    const cfg = (role: string) => {
      const c = command(byName(p, `${role}-0-rank0`).pr);
      return TEXT.split("\n").find((l) => l.trim().startsWith("kv-transfer-config:") && c.includes(l.split("'")[1]!));
    };
    expect(cfg("prefill")).toContain('"kv_role":"kv_both"');
    expect(cfg("decode")).toContain('"kv_role":"kv_consumer"');
  });

  it("runs the master in mooncake_kv_store.container when the recipe names one", () => {
    const text = TEXT.replace("  mooncake_kv_store:\n", "  mooncake_kv_store:\n    container: mooncake/master:0.3.7\n");
    expect(byName(plan(row(text)), "infra-mooncake-master").pr.image).toBe("mooncake/master:0.3.7");
  });

  it("puts the master on etcd/NATS's own node when the recipe gives them one", () => {
    const text = `${TEXT}\ninfra:\n  etcd_nats_dedicated_node: true\n`;
    const q = plan(row(text, 1));
    const master = byName(q, "infra-mooncake-master");
    expect(master.rank).toBe(2);
    expect(master.rank).toBe(byName(q, "infra-nats").rank);
    expect(byName(q, "prefill-0-rank0").pr.env.MOONCAKE_MASTER).toBe(`${master.ip}:${rpc}`);
  });

  it("refuses, as srtctl does, a store neither prefill's nor decode's kv-transfer-config uses", () => {
    const text = TEXT.replace(/^ {6}kv-transfer-config: .*\n/gm, "");
    const line = TEXT.split("\n").findIndex((l) => l === "  mooncake_kv_store:") + 1;
    expect(failure(() => plan(row(text)))).toBe(
      `${FILE}:${line}:3: backend.mooncake_kv_store: srtctl refuses a Mooncake store no worker uses: neither backend.vllm_config.prefill nor decode has a kv-transfer-config naming a Mooncake connector (MooncakeStoreConnector, alone or in a MultiConnector) (row test-dsr1-fp4-gb200-dynamo-vllm-agentic)`,
    );
  });

  it("refuses a key srtctl's VLLMMooncakeKVStoreConfig does not have, at its line", () => {
    const text = TEXT.replace("  mooncake_kv_store:\n", '  mooncake_kv_store:\n    master_args: ["--x"]\n');
    const line = TEXT.split("\n").findIndex((l) => l === "  mooncake_kv_store:") + 2;
    expect(failure(() => plan(row(text)))).toMatch(
      new RegExp(`^${FILE.replace(/\./g, "\\.")}:${line}:5: backend\\.mooncake_kv_store`),
    );
  });
});
