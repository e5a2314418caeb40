/** /api/v1/nodes: list, get, drain, undrain, quarantine, release; /api/v1/telemetry: recent telemetry. */

import { NODE_STATES, NodeDetail, NodeView, pageOf } from "@benchfleet/shared";
import { z } from "zod";
import type { ControllerContext } from "../context.js";
import { nodeLabels, nodeState, nodeView } from "../fleet/node-registry.js";
import { csv, IdParam, Paging } from "./common.js";
import { type Api, ApiError } from "./route.js";

export function registerNodeRoutes(api: Api, c: ControllerContext): void {
  const must = (id: string) => {
    const n = c.registry.get(id);
    if (!n) throw new ApiError(404, "not-found", `node ${id} not found`);
    return n;
  };
  const Reason = z
    .object({ reason: z.string().max(500).optional() })
    .strict()
    .default({});

  api.route(
    {
      method: "GET",
      url: "/api/v1/nodes",
      role: "viewer",
      tag: "nodes",
      summary: "list nodes",
      query: z
        .object({
          state: csv.pipe(z.array(z.enum(NODE_STATES))).optional(),
          sku: z.string().optional(),
          label: z.string().optional(),
          ...Paging,
        })
        .strict(),
      response: pageOf(NodeView),
    },
    async ({ query }) => {
      const all = c.registry
        .list()
        .filter(
          (n) =>
            (!query.state || query.state.includes(nodeState(n))) &&
            (!query.sku || n.info.sku === query.sku) &&
            (!query.label || nodeLabels(n.info).includes(query.label)),
        );
      return {
        total: all.length,
        offset: query.offset,
        limit: query.limit,
        items: all.slice(query.offset, query.offset + query.limit).map(nodeView),
      };
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/telemetry",
      role: "viewer",
      tag: "nodes",
      summary:
        "the last minutes of each node's GPU telemetry, summarised per sample (power summed over its GPUs, utilisation averaged, memory summed in GiB; `at` in ms since the epoch)",
      query: z
        .object({
          node: csv.optional(),
          since: z.coerce.number().int().min(0).optional(),
        })
        .strict(),
    },
    async ({ query }) => {
      const h = c.registry.telemetryHistory;
      const ids = query.node ?? h.nodeIds();
      for (const id of ids) must(id);
      return {
        capacity: h.capacity,
        nodes: ids.map((nodeId) => ({
          nodeId,
          points: h.points(nodeId).filter((p) => query.since === undefined || p.at > query.since),
        })),
      };
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/nodes/:id",
      role: "viewer",
      tag: "nodes",
      summary: "one node with its recent failures",
      params: IdParam,
      response: NodeDetail,
    },
    async ({ params }) => {
      const n = must(params.id);
      return { ...nodeView(n), failures: c.registry.failureHistory().filter((f) => f.nodeId === n.id) };
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/nodes/:id/drain",
      role: "operator",
      tag: "nodes",
      summary: "take no new work; the current attempt finishes",
      params: IdParam,
      body: Reason,
    },
    async ({ params, body, user }) => {
      must(params.id);
      const n = await c.registry.setAdmin(params.id, "drain", body.reason ?? `drained by ${user?.name ?? "operator"}`);
      c.hub.send(n.id, { type: "drain", drain: true });
      return nodeView(n);
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/nodes/:id/undrain",
      role: "operator",
      tag: "nodes",
      summary: "take work again",
      params: IdParam,
    },
    async ({ params }) => {
      const n = must(params.id);
      if (n.adminState !== "drain")
        throw new ApiError(409, "conflict", `node ${n.id} is not drained (it is ${nodeState(n)})`);
      await c.registry.setAdmin(n.id, "active");
      c.hub.send(n.id, { type: "drain", drain: false });
      c.dispatcher.kick();
      return nodeView(n);
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/nodes/:id/quarantine",
      role: "operator",
      tag: "nodes",
      summary: "quarantine: no new work until released",
      params: IdParam,
      body: Reason,
    },
    async ({ params, body, user }) => {
      must(params.id);
      return nodeView(
        await c.registry.setAdmin(params.id, "quarantine", body.reason ?? `quarantined by ${user?.name ?? "operator"}`),
      );
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/nodes/:id/release",
      role: "operator",
      tag: "nodes",
      summary: "release from quarantine or drain; clears its failure history",
      params: IdParam,
    },
    async ({ params }) => {
      const n = must(params.id);
      await c.registry.clearFailures(n.id);
      const was = n.adminState;
      await c.registry.setAdmin(n.id, "active");
      if (was === "drain") c.hub.send(n.id, { type: "drain", drain: false });
      c.dispatcher.kick();
      return nodeView(n);
    },
  );
}
