/**
 * Route helper for the REST API: one declaration gives the fastify route, zod validation of
 * params/query/body, the role check, JSON errors `{error, message, details}` and the route's entry
 * in the OpenAPI document served at `/api/v1/openapi.json`, its response described by the zod
 * schema the CLI and dashboard types are inferred from. With `checkResponses` (tests) every JSON
 * response is checked against that schema and a mismatch is a 500 naming the field.
 */

import {
  AttemptRecord,
  ConfigError,
  Deployment,
  EngineMetrics,
  JobDetail,
  JobView,
  NodeDetail,
  NodeView,
  PointResult,
  PointRow,
  SweepSummary,
} from "@benchfleet/shared";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { type Auth, type Role, roleAtLeast } from "./auth.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function notFound(what: string): ApiError {
  return new ApiError(404, "not-found", `${what} not found`);
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  /** least role allowed; "public" needs no token */
  role: Role | "public";
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** the JSON body of a 200 answer */
  response?: z.ZodType;
  /** response is not JSON (CSV, text) */
  produces?: string;
}

export interface RouteCtx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  user: { name: string; role: Role } | undefined;
  req: FastifyRequest;
  reply: FastifyReply;
}

function zodDetails(err: z.ZodError): Array<{ path: string; message: string }> {
  return err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/**
 * The operator token of a request: `Authorization: Bearer <token>` only. Tokens in URLs are never
 * read (URLs end up in logs, proxies and browser history).
 */
export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith("Bearer ")) return h.slice(7).trim();
  return undefined;
}

/** The subprotocol a browser's events WebSocket names itself with (it offers the token beside it). */
export const EVENTS_SUBPROTOCOL = "benchfleet.events";
const BEARER_SUBPROTOCOL = "benchfleet.bearer.";

/**
 * The token of a WebSocket upgrade: the Authorization header (CLI, other programs) or, from a
 * browser, which cannot set headers on a WebSocket, a `Sec-WebSocket-Protocol` entry
 * `benchfleet.bearer.<base64url of the token>` offered beside `benchfleet.events`.
 */
export function websocketBearer(req: FastifyRequest): string | undefined {
  const h = bearer(req);
  if (h !== undefined) return h;
  const offered = String(req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim());
  const b = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL));
  return b === undefined ? undefined : Buffer.from(b.slice(BEARER_SUBPROTOCOL.length), "base64url").toString("utf8");
}

/** Schemas written once under `components.schemas` and referenced wherever a route uses them. */
const NAMED = z.registry<{ id: string }>();
for (const [id, schema] of Object.entries({
  AttemptRecord,
  Deployment,
  EngineMetrics,
  JobDetail,
  JobView,
  NodeDetail,
  NodeView,
  PointResult,
  PointRow,
  SweepSummary,
}))
  NAMED.add(schema, { id });

export class Api {
  private readonly paths: Record<string, Record<string, unknown>> = {};
  /** named schemas as answers (`X`) and as request input (`XInput`: defaults make fields optional) */
  private readonly components: Record<string, unknown> = {};

  constructor(
    readonly app: FastifyInstance,
    readonly auth: Auth,
    private readonly opts: { checkResponses?: boolean } = {},
  ) {}

  /** Checks the bearer token against a role; throws 401/403. */
  authorize(
    req: FastifyRequest,
    role: Role | "public",
    token: string | undefined = bearer(req),
  ): { name: string; role: Role } | undefined {
    if (role === "public") return undefined;
    const user = this.auth.operator(token);
    if (!user)
      throw new ApiError(401, "unauthorized", "a valid operator token is required (Authorization: Bearer <token>)");
    if (!roleAtLeast(user.role, role))
      throw new ApiError(403, "forbidden", `this call needs role ${role}; token ${user.name} has ${user.role}`);
    return user;
  }

  route<
    P extends z.ZodType = z.ZodType<Record<string, never>>,
    Q extends z.ZodType = z.ZodType<Record<string, never>>,
    B extends z.ZodType = z.ZodType<undefined>,
  >(spec: RouteSpec<P, Q, B>, handler: (ctx: RouteCtx<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>): void {
    this.document(spec);
    const users = new WeakMap<FastifyRequest, { name: string; role: Role } | undefined>();
    this.app.route({
      method: spec.method,
      url: spec.url,
      // before the body is read: an unauthenticated request is refused without buffering its body,
      // and its connection is closed rather than drained
      onRequest: async (req, reply) => {
        try {
          users.set(req, this.authorize(req, spec.role));
        } catch (e) {
          if (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined)
            void reply.header("connection", "close");
          throw e;
        }
      },
      handler: async (req, reply) => {
        const user = users.get(req);
        const parse = <T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): unknown => {
          if (!schema) return value;
          const r = schema.safeParse(value ?? {});
          if (!r.success)
            throw new ApiError(
              400,
              "bad-request",
              `invalid ${where}: ${r.error.issues[0]?.path.join(".") || "(root)"}: ${r.error.issues[0]?.message}`,
              zodDetails(r.error),
            );
          return r.data;
        };
        const query = { ...((req.query as Record<string, unknown>) ?? {}) };
        const ctx = {
          params: parse(spec.params, req.params, "path parameters"),
          query: parse(spec.query, query, "query"),
          body: spec.body ? parse(spec.body, req.body, "body") : undefined,
          user,
          req,
          reply,
        } as RouteCtx<z.infer<P>, z.infer<Q>, z.infer<B>>;
        const out = await handler(ctx);
        if (reply.sent) return reply;
        if (this.opts.checkResponses && spec.response) checkResponse(spec, out);
        return out;
      },
    });
  }

  private document(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>): void {
    const json = (s: z.ZodType, io: "input" | "output" = "input") => this.jsonSchema(s, io);
    const ok: Record<string, unknown> = spec.response
      ? { "application/json": { schema: json(spec.response, "output") } }
      : { [spec.produces ?? "application/json"]: {} };
    const path = spec.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const params: unknown[] = [];
    for (const [where, schema] of [
      ["path", spec.params],
      ["query", spec.query],
    ] as const) {
      if (!schema) continue;
      const js = json(schema) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {}))
        params.push({ name, in: where, required: where === "path" || (js.required ?? []).includes(name), schema: s });
    }
    const op: Record<string, unknown> = {
      summary: spec.summary,
      tags: [spec.tag],
      parameters: params,
      responses: {
        "200": { description: "OK", content: ok },
        "400": {
          description: "invalid input",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
        ...(spec.role === "public"
          ? {}
          : {
              "401": {
                description: "no or unknown token",
                content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
              },
              "403": {
                description: `role below ${spec.role}`,
                content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
              },
            }),
      },
      ...(spec.role === "public" ? {} : { security: [{ bearer: [] }], "x-role": spec.role }),
    };
    if (spec.body) op.requestBody = { required: true, content: { "application/json": { schema: json(spec.body) } } };
    this.paths[path] ??= {};
    this.paths[path][spec.method.toLowerCase()] = op;
  }

  /** JSON Schema of a zod schema; the named schemas inside it go to `components` and are referenced. */
  private jsonSchema(s: z.ZodType, io: "input" | "output"): Record<string, unknown> {
    const name = (id: string) => (io === "input" ? `${id}Input` : id);
    const {
      $schema: _,
      $defs,
      ...rest
    } = z.toJSONSchema(s, {
      io,
      unrepresentable: "any",
      metadata: NAMED,
    }) as Record<string, unknown> & { $defs?: Record<string, unknown> };
    const relink = (v: unknown): unknown =>
      JSON.parse(
        JSON.stringify(v).replace(
          /"#\/\$defs\/([A-Za-z0-9_]+)"/g,
          (_m, id: string) => `"#/components/schemas/${name(id)}"`,
        ),
      );
    for (const [id, def] of Object.entries($defs ?? {})) this.components[name(id)] ??= relink(def);
    return relink(rest) as Record<string, unknown>;
  }

  openapi(version: string): unknown {
    return {
      openapi: "3.1.0",
      info: {
        title: "benchfleet controller",
        version,
        description:
          "REST API of the benchfleet controller. WebSockets: /api/v1/agents/ws (agent protocol v1), /api/v1/events/ws (live events).",
      },
      servers: [{ url: "/" }],
      paths: this.paths,
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
        schemas: {
          ...this.components,
          Error: {
            type: "object",
            required: ["error", "message"],
            properties: { error: { type: "string" }, message: { type: "string" }, details: {} },
          },
        },
      },
    };
  }
}

/** A JSON answer (as it is serialised) against its route's response schema. */
function checkResponse(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>, out: unknown): void {
  const r = spec.response?.safeParse(JSON.parse(JSON.stringify(out ?? null)));
  if (!r || r.success) return;
  const i = r.error.issues[0];
  throw new ApiError(
    500,
    "response-schema",
    `${spec.method} ${spec.url}: the answer does not match its schema: ${i?.path.join(".") || "(root)"}: ${i?.message}`,
    zodDetails(r.error),
  );
}

/** Maps any thrown error to the API's JSON error shape. */
export function errorBody(err: unknown): {
  status: number;
  body: { error: string; message: string; details?: unknown };
} {
  if (err instanceof ApiError)
    return { status: err.status, body: { error: err.code, message: err.message, details: err.details } };
  if (err instanceof ConfigError)
    return { status: 400, body: { error: "config-error", message: err.message, details: err.problems } };
  const e = err as { statusCode?: number; code?: string; message?: string; name?: string };
  if (e && typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500)
    return {
      status: e.statusCode,
      body: {
        error: e.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "payload-too-large" : "bad-request",
        message: e.message ?? "bad request",
      },
    };
  return { status: 500, body: { error: "internal", message: "internal error" } };
}
