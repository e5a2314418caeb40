/**
 * The emulated fleet `benchfleet up` starts: which SKU and topology domain each agent poses as.
 * Pure. Agents are spread round-robin over the SKUs; GB200/GB300 agents share one NVL72 rack
 * domain (up to 18 four-GPU nodes) so multi-node disaggregated gangs can form.
 */
import type { SkuCatalog, SkuName } from "@benchfleet/shared";

export interface FleetMember {
  agentId: string;
  sku: SkuName;
  gpus: number;
  domain: string;
  /** loopback address the emulated node's engines bind: 127.0.0.N, one per agent */
  ip: string;
  /** a Slurm partition agent instead of a node: its partition and the cluster's environment (SLURM_CONF) */
  slurm?: { partition: string; env: Record<string, string> };
  /** runner labels it carries besides its SKU (the sweep's `cluster:<name>` labels of its SKU) */
  labels?: string[];
}

/** `--slurm sku:nodes` → the partition's SKU and node count */
export function parseSlurmSpec(v: string, catalog: SkuCatalog): { sku: SkuName; nodes: number } {
  const m = /^([a-z0-9]+):(\d+)$/.exec(v.trim().toLowerCase());
  if (!m) throw new Error(`--slurm: expected <sku>:<nodes> (e.g. h200:3), got "${v}"`);
  const [, sku, n] = m as unknown as [string, string, string];
  if (!(sku in catalog)) throw new Error(`--slurm: unknown SKU "${sku}" (known: ${Object.keys(catalog).join(", ")})`);
  const nodes = Number(n);
  if (nodes < 1 || nodes > 8) throw new Error(`--slurm: 1 to 8 nodes on one host, got ${nodes}`);
  return { sku: sku as SkuName, nodes };
}

export function demoFleet(count: number, skus: SkuName[], catalog: SkuCatalog): FleetMember[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`--agents must be a positive integer, got ${count}`);
  if (count > 240) throw new Error(`--agents: at most 240 emulated agents on one host, got ${count}`);
  if (!skus.length) throw new Error("--skus must name at least one SKU");
  const perSku = new Map<SkuName, number>();
  const out: FleetMember[] = [];
  for (let i = 0; i < count; i++) {
    const sku = skus[i % skus.length]!;
    const n = perSku.get(sku) ?? 0;
    perSku.set(sku, n + 1);
    const spec = catalog[sku];
    const rackSize = Math.max(1, Math.floor(spec.scaleUpDomain / spec.gpusPerNode));
    const domain =
      spec.scaleUpDomain > spec.gpusPerNode
        ? `${sku}-nvl${spec.scaleUpDomain}-rack${Math.floor(n / rackSize)}`
        : `${sku}-fabric0`;
    out.push({ agentId: `emu-${sku}-${n}`, sku, gpus: spec.gpusPerNode, domain, ip: `127.0.0.${11 + i}` });
  }
  return out;
}
