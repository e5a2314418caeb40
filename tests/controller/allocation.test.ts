/**
 * Allocation through the real controller (the decisions themselves are unit-tested in
 * controller/src/allocator.test.ts): jobs are claimed only by agents carrying their runner label;
 * priority order; a gang of N starts all at once inside one topology domain, never across two; idle
 * nodes held for a waiting gang show as `reserved`.
 */

import type { Assignment } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("allocation through the controller", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  const agent = async (id: string, o: Partial<ConstructorParameters<typeof ProtocolAgent>[0]>) => {
    const a = new ProtocolAgent({ url: c.url, agentId: id, token: TOKENS.enrol, ...o });
    agents.push(a);
    await a.connect();
    return a;
  };
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"), { config: { agingMsPerPriorityStep: 3_600_000 } });
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("claims by label: a job goes only to an agent carrying its runner label, in priority order", async () => {
    const plain = await agent("lbl-plain", { sku: "mi325x", domain: "x" });
    const special = await agent("lbl-special", { sku: "mi325x", domain: "x", labels: ["mi325x-cluster-b"] });
    const ds = [
      makeDeployment({ seed: "label-b-low", sku: "mi325x", runner: "mi325x-cluster-b", priority: 50 }),
      makeDeployment({ seed: "label-b-high", sku: "mi325x", runner: "mi325x-cluster-b", priority: 10 }),
    ];
    // both are queued at once; the one node with the label takes them one by one, best priority first
    await c.api("POST", "/api/v1/sweeps", { deployments: ds }, TOKENS.operator);
    const first = await special.nextAssignment();
    expect(first.deployment.priority).toBe(10);
    await special.runAssignment(first);
    const second = await special.nextAssignment(5000, special.received.length - 1);
    expect(second.deployment.priority).toBe(50);
    await special.runAssignment(second);
    expect(plain.received.some((m) => m.type === "assign")).toBe(false);
  });

  it("a gang of 2 starts all at once in one domain, never across two domains", async () => {
    // domain A has one node, domain B has two: the gang must go to B
    const a1 = await agent("gang-a1", { sku: "gb300", gpuCount: 4, domain: "nvl72-A" });
    const b1 = await agent("gang-b1", { sku: "gb300", gpuCount: 4, domain: "nvl72-B" });
    const b2 = await agent("gang-b2", { sku: "gb300", gpuCount: 4, domain: "nvl72-B" });
    const d = makeDeployment({ seed: "gang-domains", sku: "gb300", gpusPerNode: 4, nodes: 2 });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] }, TOKENS.operator);
    const [x, y] = await Promise.all([b1.nextAssignment(), b2.nextAssignment()]);
    expect(x.attemptId).toBe(y.attemptId);
    expect(x.gang.map((m) => m.agentId).sort()).toEqual(["gang-b1", "gang-b2"]);
    expect(new Set([x.rank, y.rank])).toEqual(new Set([0, 1]));
    expect(a1.received.some((m) => m.type === "assign")).toBe(false);
    const byRank = new Map<number, [ProtocolAgent, Assignment]>([
      [x.rank, [b1, x]],
      [y.rank, [b2, y]],
    ]);
    await Promise.all([...byRank.values()].map(([p, a]) => p.runAssignment(a)));
    // the non-leader was released after the leader finished
    const follower = byRank.get(1)![0];
    expect(follower.received.some((m) => m.type === "release")).toBe(true);
    // a gang that fits no single domain waits with a reason instead of starting partially
    const big = makeDeployment({ seed: "gang-too-big", sku: "gb300", gpusPerNode: 4, nodes: 3 });
    const s = (await c.api("POST", "/api/v1/sweeps", { deployments: [big] }, TOKENS.operator)).body;
    await new Promise((r) => setTimeout(r, 400));
    const jobs = (await c.api("GET", `/api/v1/jobs?sweep=${s.sweepId}`)).body;
    expect(jobs.items[0].status).toBe("queued");
    expect(typeof jobs.items[0].waitingReason).toBe("string");
    for (const p of [a1, b1, b2]) expect(p.received.filter((m) => m.type === "assign").length).toBeLessThanOrEqual(1);
  });

  it("an idle node held for a waiting gang shows as reserved; the gang starts there when its partner frees up", async () => {
    const ids = ["res-c1", "res-c2"];
    const byId = new Map<string, ProtocolAgent>();
    for (const id of ids) byId.set(id, await agent(id, { sku: "b300", gpuCount: 8, domain: "rack-C" }));
    const state = async (id: string) =>
      (await c.api("GET", `/api/v1/nodes/${id}`)).body as { state: string; heldFor?: string };
    const single = makeDeployment({ seed: "res-single", sku: "b300", gpusPerNode: 8, nodes: 1 });
    await c.api("POST", "/api/v1/sweeps", { deployments: [single] }, TOKENS.operator);
    let busyId = "";
    await until(async () => {
      for (const id of ids) if ((await state(id)).state === "busy") busyId = id;
      return busyId !== "";
    });
    const busy = byId.get(busyId)!;
    const freeId = ids.find((id) => id !== busyId)!;
    const running = await busy.nextAssignment();
    busy.accept(running);
    const gang = makeDeployment({ seed: "res-gang", sku: "b300", gpusPerNode: 8, nodes: 2 });
    const s = (await c.api("POST", "/api/v1/sweeps", { deployments: [gang] }, TOKENS.operator)).body;
    const gangJob = (await c.api("GET", `/api/v1/jobs?sweep=${s.sweepId}`)).body.items[0].jobId as string;
    await until(async () => (await state(freeId)).state === "reserved");
    expect((await state(freeId)).heldFor).toBe(gangJob);
    const nodes = (await c.api("GET", "/api/v1/nodes?state=reserved")).body;
    expect((Array.isArray(nodes) ? nodes : nodes.items).map((n: { id: string }) => n.id)).toEqual([freeId]);
    // the single job ends: the gang takes both nodes of the domain
    const from = Object.fromEntries(ids.map((id) => [id, byId.get(id)!.received.length]));
    await busy.runAssignment(running);
    const [x, y] = await Promise.all(ids.map((id) => byId.get(id)!.nextAssignment(5000, from[id])));
    expect(x!.jobId).toBe(gangJob);
    expect(x!.attemptId).toBe(y!.attemptId);
  });
});
