/**
 * srtctl's nginx.conf as the srt-slurm checkout's template renders it (srtctl-nginx.ts, through
 * srtctl-defaults.ts): our GB200 1P1D recipe with two frontends behind nginx
 * (configs/srt-slurm-recipes/dsr1-fp4/gb200-disagg-1p1d.yaml) under checkouts written per test with
 * main's template, v1.0.38's (no keepalive) and sa-submission-q2-2026's (no keepalive, no body limit).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, SrtRecipeRef } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const REL = "dsr1-fp4/gb200-disagg-1p1d.yaml";
const TEXT = readFileSync(`${RECIPES}${REL}`, "utf8");

function row(srtctl?: SrtRecipeRef["srtctl"]): Deployment {
  const configFile = `recipes/${REL}`;
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
    decode: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  return { ...d, srtRecipe: { configFile, path: `srt/${REL}`, text: TEXT, ...(srtctl ? { srtctl } : {}) } };
}

const nginxConf = (p: LaunchPlan): string => {
  const nginx = p.nodes.flatMap((n) => n.processes).find((pr) => pr.name === "nginx");
  const file = nginx?.files?.find((f) => f.path === "nginx/nginx.conf");
  if (!file) throw new Error("no nginx/nginx.conf in the plan");
  return file.content;
};
const conf = (srtctl?: SrtRecipeRef["srtctl"]) => nginxConf(buildLaunchPlan(row(srtctl), makePlacement(row(srtctl))));

describe("srtctl's nginx.conf is the one of the srt-slurm checkout the recipes come from", () => {
  const tmp = mkdtempSync(join(tmpdir(), "srtctl-nginx-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  function checkout(name: string, template: string): string {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "src", "srtctl", "backends"), { recursive: true });
    mkdirSync(join(dir, "src", "srtctl", "templates"), { recursive: true });
    mkdirSync(join(dir, "recipes", "dsr1-fp4"), { recursive: true });
    writeFileSync(join(dir, "src", "srtctl", "backends", "vllm.py"), "cmd = ['--device-ids']\n");
    writeFileSync(join(dir, "src", "srtctl", "templates", "nginx.conf.j2"), template);
    writeFileSync(join(dir, "recipes", REL), TEXT);
    return dir;
  }
  const found = (dirs: string[]) => {
    const f = srtRecipeSource(dirs)(`recipes/${REL}`);
    if ("error" in f) throw new Error(f.error);
    return f;
  };
  const main = checkout(
    "main",
    "http {\n    client_max_body_size 45m;\n    keepalive_timeout {{ nginx_keepalive_timeout }};\n        keepalive 512;\n}\n",
  );
  const v1038 = checkout("v1.0.38", "http {\n    client_max_body_size 45m;\n    upstream backend_servers {\n}\n");
  const q2 = checkout("q2", "http {\n    access_log off;\n    upstream backend_servers {\n}\n");

  it("reads what the checkout's template lacks of main's", () => {
    expect(found([main]).srtctl).toBeUndefined();
    expect(found([v1038]).srtctl).toEqual({ nginxKeepalive: false });
    expect(found([q2]).srtctl).toEqual({ nginxKeepalive: false, nginxMaxBody: false });
    expect(found([q2, RECIPES]).srtctl).toEqual({ nginxKeepalive: false, nginxMaxBody: false });
  });

  it("renders main's nginx.conf under main's template, unchanged", () => {
    const c = conf(found([main]).srtctl);
    expect(c).toBe(conf());
    expect(c).toContain("        keepalive 512;\n");
    expect(c).toContain("    client_max_body_size 45m;\n");
  });

  it("renders sa-submission-q2-2026's nginx.conf: no keepalive, no body limit, the rest as main's (golden)", () => {
    const c = conf(found([q2]).srtctl);
    const upstream = /upstream backend_servers \{\n((?:\s+server \S+;\n)+)\s+\}/.exec(c)?.[1] ?? "";
    expect(upstream.trim().split("\n")).toHaveLength(1);
    expect(c).toBe(
      [
        "worker_processes auto;",
        "http {",
        "    access_log off;",
        "    upstream backend_servers {",
        upstream.trimEnd(),
        "    }",
        "    server {",
        /listen \d+;/.exec(c)?.[0] ? `        ${/listen \d+;/.exec(c)?.[0]}` : "missing listen",
        "        location / {",
        "            proxy_pass http://backend_servers;",
        "            proxy_buffering off;",
        "            proxy_read_timeout 24h;",
        "            proxy_send_timeout 24h;",
        "        }",
        "    }",
        "}",
        "events {",
        "    worker_connections 65535;",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("under v1.0.38's template keeps the body limit and drops only the keepalive lines", () => {
    const full = conf().split("\n");
    const old = conf(found([v1038]).srtctl).split("\n");
    expect(full.filter((l) => !old.includes(l)).map((l) => l.trim())).toEqual([
      "keepalive_timeout 600s;",
      "keepalive 512;",
      "keepalive_timeout 600s;",
      "proxy_http_version 1.1;",
      'proxy_set_header Connection "";',
    ]);
  });
});
