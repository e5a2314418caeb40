/**
 * The controller's OpenAPI document: it validates as OpenAPI 3.1, it names exactly the routes the
 * controller serves, and it equals the committed controller/openapi.json, so a change to a route's
 * schemas that is not committed there fails CI. `pnpm openapi` rewrites the committed file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS } from "../helpers/controller.js";

const COMMITTED = fileURLToPath(new URL("../../controller/openapi.json", import.meta.url));
/** routes served beside the REST API and deliberately not in the document */
const UNDOCUMENTED = new Set([
  "GET /api/v1/openapi.json",
  "GET /api/v1/agents/ws",
  "GET /api/v1/events/ws",
  "GET /metrics",
  "GET /*",
]);

let ctl: TestController;
let doc: {
  info: { version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, any> };
};

beforeAll(async () => {
  ctl = await startTestController(inject("redisUrl"));
  const r = await ctl.api("GET", "/api/v1/openapi.json", undefined, TOKENS.viewer);
  expect(r.status).toBe(200);
  doc = r.body;
});

afterAll(async () => {
  await ctl?.stop();
});

/** the document without what changes from build to build */
function stable(d: typeof doc): unknown {
  return { ...d, info: { ...d.info, version: "(controller version)" } };
}

describe("OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    const v = new Validator();
    const res = await v.validate(doc as never);
    expect(res.errors ?? [], JSON.stringify(res.errors, null, 2)).toEqual([]);
    expect(res.valid).toBe(true);
  });

  it("documents every route the controller serves, and only those", () => {
    const served = ctl.routes
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !UNDOCUMENTED.has(r))
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([A-Za-z_]+)\}/g, ":$1")}`),
      )
      .sort();
    expect(documented).toEqual(served);
    expect(served.length).toBeGreaterThan(30);
  });

  it("describes the answers of the record routes with their schemas", () => {
    // follows `$ref`s into components.schemas
    const at = (s: any): any => (s?.$ref ? at(doc.components.schemas[s.$ref.split("/").pop()]) : s);
    const ok = (path: string, method = "get") => {
      const answer = doc.paths[path]?.[method]?.responses["200"] as { content: Record<string, { schema?: unknown }> };
      return at(answer.content["application/json"]?.schema);
    };
    expect(ok("/api/v1/jobs/{id}").properties.attempts.type).toBe("array");
    expect(at(ok("/api/v1/jobs").properties.items.items).required).toContain("jobId");
    expect(ok("/api/v1/sweeps/{id}").properties.status.enum).toContain("incomplete");
    expect(at(at(ok("/api/v1/results").properties.items.items).properties.result).properties).toHaveProperty(
      "engineMetrics",
    );
    expect(ok("/api/v1/nodes/{id}").properties.failures.type).toBe("array");
  });

  it("equals the committed controller/openapi.json (run `pnpm openapi` after changing a route)", () => {
    const text = `${JSON.stringify(stable(doc), null, 2)}\n`;
    if (process.env.BENCHFLEET_WRITE_OPENAPI === "1") writeFileSync(COMMITTED, text);
    expect(JSON.parse(readFileSync(COMMITTED, "utf8"))).toEqual(JSON.parse(text));
  });
});
