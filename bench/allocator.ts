/**
 * Allocator speed: one `allocate` round over 10,000 queued jobs and a 1,000-node fleet of mixed SKUs,
 * in-process. `node --conditions=source --import tsx bench/allocator.ts [runs]`
 * Scenarios: the first round on an idle fleet (many starts), a steady state with 95% of nodes busy
 * (reservations, backfill checks, a reason per waiting job) and a fully busy fleet (nothing starts).
 */
import { type AllocInput, type AllocJob, type AllocNode, allocate } from "@benchfleet/controller";
import { Rng } from "@benchfleet/shared";

const NOW = Date.UTC(2026, 0, 1);
const MIN = 60_000;

/** deterministic PRNG so every run measures the same input */
const rng = (seed: number): (() => number) => new Rng(seed).source();

// sku, nodes, nodes per topology domain (NVL72 rack = 18 GB200 nodes; IB fabrics elsewhere)
const FLEET: Array<[string, number, number]> = [
  ["h100", 240, 32],
  ["h200", 160, 32],
  ["b200", 160, 16],
  ["gb200", 216, 18],
  ["mi300x", 112, 16],
  ["mi355x", 112, 16],
];
const GANGS: Record<string, number[]> = { gb200: [2, 4, 6, 8, 12, 18], b200: [2, 4], h200: [2] };

function fleet(rand: () => number, busyFraction: number): AllocNode[] {
  const nodes: AllocNode[] = [];
  for (const [sku, count, perDomain] of FLEET) {
    for (let i = 0; i < count; i++) {
      const busy = rand() < busyFraction;
      nodes.push({
        id: `${sku}-${String(i).padStart(3, "0")}`,
        labels: sku === "gb200" || sku === "b200" ? [sku, "multinode", "cluster-a"] : [sku, "cluster-a"],
        domain: `${sku}-dom${Math.floor(i / perDomain)}`,
        state: busy ? "busy" : "idle",
        healthy: rand() > 0.01,
        freeAt: busy ? NOW + Math.floor(rand() * 180) * MIN : undefined,
      });
    }
  }
  return nodes;
}

function jobs(rand: () => number, count: number): AllocJob[] {
  const out: AllocJob[] = [];
  for (let i = 0; i < count; i++) {
    const [sku, count] = FLEET[Math.floor(rand() * FLEET.length)];
    const gangs = GANGS[sku];
    const nodes = gangs && rand() < 0.5 ? gangs[Math.floor(rand() * gangs.length)] : 1;
    out.push({
      jobId: `sweep1.${i.toString(16).padStart(8, "0")}`,
      runner: sku,
      nodes,
      priority: Math.floor(rand() * 4),
      enqueuedAt: NOW - Math.floor(rand() * 120) * MIN,
      estimatedSeconds: 300 + Math.floor(rand() * 3 * 3600),
      excludedNodes: rand() < 0.05 ? [`${sku}-${String(Math.floor(rand() * count)).padStart(3, "0")}`] : [],
    });
  }
  return out;
}

function bench(label: string, input: AllocInput, runs: number): void {
  for (let i = 0; i < 3; i++) allocate(input); // warm up the JIT
  const ms: number[] = [];
  let d = allocate(input);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    d = allocate(input);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(1);
  console.log(
    `${label}: ${input.jobs.length} jobs × ${input.nodes.length} nodes → ${d.start.length} started, ` +
      `${d.reservations.length} reservations, ${d.waiting.length} waiting; ` +
      `median ${q(0.5)} ms, min ${q(0)} ms, p90 ${q(0.9)} ms (${runs} runs)`,
  );
}

const runs = Number(process.argv[2] ?? 15);
const rand = rng(7);
const queue = jobs(rand, 10_000);
const base = { now: NOW, jobs: queue, reservations: [], agingMsPerPriorityStep: 10 * MIN };

bench("idle fleet (first round)", { ...base, nodes: fleet(rand, 0) }, runs);
const steadyNodes = fleet(rand, 0.95);
const steady = { ...base, nodes: steadyNodes };
// the steady state carries the previous round's reservations, as the allocation loop does
bench("95% busy, with previous reservations", { ...steady, reservations: allocate(steady).reservations }, runs);
bench("fully busy", { ...base, nodes: fleet(rand, 1) }, runs);
