/**
 * The host-DRAM KV tier of every engine process of a launch plan, as its launch sets it
 * (launch-kv-cache.ts), with the process's GPUs on its node as the ranks per-rank sizes add up
 * over. Stored with each agentic point, so results show what the engines were started with
 * beside the deployment's budget. A process whose settings cannot be read is recorded as
 * `unread` with the reason: the point was measured and stays. Pure.
 */
import type { KvHostTier, LaunchPlan } from "@benchfleet/shared";
import { LaunchKvCacheError, launchKvCache } from "./launch-kv-cache.js";

const ENGINE_ROLES = new Set(["prefill", "decode", "worker"]);

export function launchedHostTiers(plan: LaunchPlan): KvHostTier[] {
  const out: KvHostTier[] = [];
  for (const node of plan.nodes)
    for (const p of node.processes) {
      if (!ENGINE_ROLES.has(p.role)) continue;
      const base = { process: p.name, role: p.role };
      try {
        const kv = launchKvCache(p, Math.max(1, p.gpus.length));
        if (!kv) continue;
        const d = kv.dram;
        if (d.kind === "none") out.push({ ...base, kind: "none" });
        else if (d.kind === "gb") out.push({ ...base, kind: "gb", gb: d.gb, setting: d.setting });
        else if (d.kind === "ratio") out.push({ ...base, kind: "ratio", ratio: d.ratio, setting: d.setting });
        else out.push({ ...base, kind: "external", setting: d.setting });
      } catch (err) {
        if (!(err instanceof LaunchKvCacheError)) throw err;
        out.push({ ...base, kind: "unread", setting: err.message });
      }
    }
  return out;
}
