/**
 * Placement of a gang (pure): which node hosts which worker of which pool, on which GPUs.
 *
 * Rules: nodes are ordered prefill pool first, then decode (single-node deployments have one
 * `worker` pool); a worker of tp*pp*pcp GPUs larger than a node spans consecutive whole nodes,
 * its rank 0 first; smaller workers are packed onto a node, each on its own GPUs and worker slot;
 * pools never share a node unless every worker of both fits on one node. The router/frontend and
 * the load generator run on the leader (rank 0). A deployment's infrastructure-only nodes
 * (`infraNodes`) follow the workers' as its last ranks. A node holds the runner's GPUs, or fewer
 * where the deployment's srt-slurm recipe asks for fewer (srt-node-gpus.ts); a recipe's
 * `spread_workers` puts each worker smaller than a node on a node of its own (srt-spread-workers.ts).
 */
import { type Deployment, type Placement, RecipeError } from "@benchfleet/shared";
import { MAX_SLOTS_PER_NODE } from "./ports.js";
import { layoutGpusPerNode } from "./srt-slurm/srt-node-gpus.js";
import { layoutSpreads } from "./srt-slurm/srt-spread-workers.js";

export type PoolRole = "prefill" | "decode" | "worker";

export interface PoolShape {
  role: PoolRole;
  numWorker: number;
  gpusPerWorker: number;
}

/** One node's share of a worker. ranks[0] of a worker is its leader (serves HTTP, dist-init master). */
export interface WorkerRank {
  nodeRank: number;
  gpus: number[];
  /** index of the worker among those on this node: selects its port slot */
  slot: number;
}

export interface WorkerLayout {
  pool: PoolRole;
  index: number;
  gpusPerWorker: number;
  ranks: WorkerRank[];
}

export interface GangLayout {
  gpusPerNode: number;
  nodes: number;
  workers: WorkerLayout[];
}

export interface GangNode {
  hostname: string;
  ip: string;
  gpuCount: number;
  rdmaDevices: string[];
  netIfname?: string;
}

/** The worker pools of a deployment, in placement order. */
export function poolShapes(d: Deployment): PoolShape[] {
  if (d.prefill && d.decode) {
    return [
      { role: "prefill", numWorker: d.prefill.numWorker, gpusPerWorker: d.prefill.gpusPerWorker },
      { role: "decode", numWorker: d.decode.numWorker, gpusPerWorker: d.decode.gpusPerWorker },
    ];
  }
  if (d.disagg || d.prefill || d.decode) {
    throw new RecipeError(`${d.configKey}: a disaggregated deployment needs both prefill and decode pools`);
  }
  if (d.tp === undefined) throw new RecipeError(`${d.configKey}: single-node deployment without tp`);
  return [{ role: "worker", numWorker: 1, gpusPerWorker: d.tp * (d.pp ?? 1) * (d.pcpSize ?? 1) }];
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Lays the deployment's workers onto abstract node ranks 0..nodes-1 with `gpusPerNode` GPUs each. */
export function layoutGang(d: Deployment, gpusPerNode: number = layoutGpusPerNode(d)): GangLayout {
  const G = gpusPerNode;
  const shapes = poolShapes(d);
  const workers: WorkerLayout[] = [];
  const total = shapes.reduce((s, p) => s + p.numWorker * p.gpusPerWorker, 0);
  // an srt-slurm recipe's spread_workers: each worker smaller than a node on a node of its own
  const spread = layoutSpreads(d);
  if (!spread && shapes.every((s) => s.gpusPerWorker <= G) && total <= G) {
    let off = 0;
    let slot = 0;
    for (const s of shapes) {
      for (let w = 0; w < s.numWorker; w++) {
        workers.push({
          pool: s.role,
          index: w,
          gpusPerWorker: s.gpusPerWorker,
          ranks: [{ nodeRank: 0, gpus: range(off, s.gpusPerWorker), slot }],
        });
        off += s.gpusPerWorker;
        slot++;
      }
    }
    checkSlots(d, workers);
    return { gpusPerNode: G, nodes: 1 + (d.infraNodes ?? 0), workers };
  }
  let next = 0;
  for (const s of shapes) {
    if (s.gpusPerWorker > G) {
      if (s.gpusPerWorker % G !== 0) {
        throw new RecipeError(
          `${d.configKey}: a ${s.role} worker of ${s.gpusPerWorker} GPUs cannot span nodes of ${G} GPUs evenly (tp*pp*pcp must be a multiple of ${G})`,
        );
      }
      const span = s.gpusPerWorker / G;
      for (let w = 0; w < s.numWorker; w++) {
        workers.push({
          pool: s.role,
          index: w,
          gpusPerWorker: s.gpusPerWorker,
          ranks: range(next, span).map((n) => ({ nodeRank: n, gpus: range(0, G), slot: 0 })),
        });
        next += span;
      }
    } else {
      const perNode = spread ? 1 : Math.floor(G / s.gpusPerWorker);
      for (let w = 0; w < s.numWorker; w++) {
        const slot = w % perNode;
        workers.push({
          pool: s.role,
          index: w,
          gpusPerWorker: s.gpusPerWorker,
          ranks: [
            { nodeRank: next + Math.floor(w / perNode), gpus: range(slot * s.gpusPerWorker, s.gpusPerWorker), slot },
          ],
        });
      }
      next += Math.ceil(s.numWorker / perNode);
    }
  }
  checkSlots(d, workers);
  return { gpusPerNode: G, nodes: next + (d.infraNodes ?? 0), workers };
}

function checkSlots(d: Deployment, workers: WorkerLayout[]): void {
  for (const w of workers) {
    for (const r of w.ranks) {
      if (r.slot >= MAX_SLOTS_PER_NODE) {
        throw new RecipeError(`${d.configKey}: more than ${MAX_SLOTS_PER_NODE} workers on one node is not supported`);
      }
    }
  }
}

/** Number of nodes the deployment's gang needs. */
export function nodesNeeded(d: Deployment): number {
  return layoutGang(d).nodes;
}

/**
 * Builds the Placement of a gang from the nodes the allocator gave it, in the allocator's order
 * (rank 0 = leader). Checks the node count and that every node has the GPUs the layout uses.
 */
export function placeGang(d: Deployment, nodes: GangNode[], portBase: number, vendor: "nvidia" | "amd"): Placement {
  const placement: Placement = {
    nodes: nodes.map((n, rank) => ({
      rank,
      hostname: n.hostname,
      ip: n.ip,
      gpuCount: n.gpuCount,
      rdmaDevices: [...n.rdmaDevices],
      ...(n.netIfname ? { netIfname: n.netIfname } : {}),
    })),
    portBase,
    vendor,
  };
  layoutFor(d, placement);
  return placement;
}

/** The layout of `d` checked against a concrete placement. */
export function layoutFor(d: Deployment, placement: Placement): GangLayout {
  const layout = layoutGang(d);
  if (placement.nodes.length !== layout.nodes) {
    throw new RecipeError(
      `${d.configKey}: the gang has ${placement.nodes.length} node(s) but the deployment needs ${layout.nodes} (${describeLayout(layout)})`,
    );
  }
  placement.nodes.forEach((n, i) => {
    if (n.rank !== i)
      throw new RecipeError(`placement: node ${i} (${n.hostname}) has rank ${n.rank}; ranks must be 0..n-1 in order`);
  });
  for (const w of layout.workers) {
    for (const r of w.ranks) {
      const node = placement.nodes[r.nodeRank]!;
      const maxGpu = Math.max(...r.gpus);
      if (maxGpu >= node.gpuCount) {
        throw new RecipeError(
          `${d.configKey}: ${w.pool} worker ${w.index} needs GPU ${maxGpu} on ${node.hostname}, which has ${node.gpuCount} GPU(s)`,
        );
      }
    }
  }
  return layout;
}

export function describeLayout(layout: GangLayout): string {
  const by = new Map<string, number>();
  for (const w of layout.workers) by.set(w.pool, (by.get(w.pool) ?? 0) + 1);
  return (
    [...by.entries()].map(([pool, n]) => `${n} ${pool} worker(s)`).join(", ") +
    ` on ${layout.nodes} node(s) of ${layout.gpusPerNode} GPUs`
  );
}
