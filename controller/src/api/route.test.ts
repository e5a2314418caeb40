import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Auth } from "./auth.js";
import { Api, errorBody } from "./route.js";

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function api(checkResponses: boolean): Api {
  const app = Fastify();
  apps.push(app);
  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorBody(err);
    void reply.code(status).send(body);
  });
  // insecure-dev: every request is an admin, no Redis needed
  const a = new Api(app, new Auth(true, { operators: [], agents: [], enrolment: [] } as never, undefined as never), {
    checkResponses,
  });
  a.route(
    {
      method: "GET",
      url: "/thing",
      role: "viewer",
      tag: "t",
      summary: "a thing",
      response: z.object({ id: z.string(), n: z.number() }).strict(),
    },
    async () => ({ id: "a", n: "three" }),
  );
  return a;
}

describe("Api response schemas", () => {
  it("with checkResponses, an answer that does not match its schema is a 500 naming the field", async () => {
    const r = await api(true).app.inject({ method: "GET", url: "/thing" });
    expect(r.statusCode).toBe(500);
    expect(r.json()).toMatchObject({
      error: "response-schema",
      message: expect.stringMatching(/^GET \/thing: the answer does not match its schema: n: /),
    });
  });

  it("without it the answer is sent as it is, and the document describes it", async () => {
    const a = api(false);
    const r = await a.app.inject({ method: "GET", url: "/thing" });
    expect(r.json()).toEqual({ id: "a", n: "three" });
    const doc = a.openapi("1") as { paths: Record<string, any> };
    expect(doc.paths["/thing"].get.responses["200"].content["application/json"].schema).toMatchObject({
      type: "object",
      required: ["id", "n"],
    });
  });
});
