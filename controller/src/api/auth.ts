/**
 * Authentication and roles.
 * - Agents: a per-agent token (bound to that agent id), or an enrolment token: the first hello with
 *   it binds the agent id to that token and hostname; later hellos for the id must match both.
 * - Operators: tokens with roles viewer < operator < admin. Reads need viewer, mutations operator.
 * Tokens come from env (BENCHFLEET_AGENT_TOKENS="id=tok,…", BENCHFLEET_ENROLMENT_TOKENS="tok,…",
 * BENCHFLEET_OPERATOR_TOKENS="name:role:tok,…") and/or a YAML/JSON file; compared in constant time.
 * `insecureDev` turns all checks off (local demo only).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError, loadYaml } from "@benchfleet/shared";
import { z } from "zod";
import type { RedisState } from "../infra/redis-state.js";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const tokenStr = z.string().min(16, "tokens must have at least 16 characters");

export const TokensFile = z
  .object({
    agents: z.array(z.object({ id: z.string(), token: tokenStr }).strict()).default([]),
    enrolment: z.array(tokenStr).default([]),
    operators: z.array(z.object({ name: z.string(), role: z.enum(ROLES), token: tokenStr }).strict()).default([]),
  })
  .strict();
export type TokensFile = z.infer<typeof TokensFile>;

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Constant-time equality of two secrets (hashed first so lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

function hashToken(t: string): string {
  return createHash("sha256").update(t).digest("hex");
}

export function tokensFromEnv(env: NodeJS.ProcessEnv): TokensFile {
  const split = (s: string | undefined) =>
    (s ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const problems: string[] = [];
  const agents = split(env.BENCHFLEET_AGENT_TOKENS).map((p) => {
    const i = p.indexOf("=");
    if (i <= 0) problems.push(`BENCHFLEET_AGENT_TOKENS: expected id=token, got "${p.slice(0, 20)}…"`);
    return { id: p.slice(0, i), token: p.slice(i + 1) };
  });
  const operators = split(env.BENCHFLEET_OPERATOR_TOKENS).map((p) => {
    const [name, role, ...rest] = p.split(":");
    return { name: name ?? "", role: role as Role, token: rest.join(":") };
  });
  const res = TokensFile.safeParse({ agents, enrolment: split(env.BENCHFLEET_ENROLMENT_TOKENS), operators });
  if (!res.success) for (const i of res.error.issues) problems.push(`${i.path.join(".")}: ${i.message}`);
  if (problems.length)
    throw new ConfigError(problems.map((m) => ({ file: "(environment)", line: 0, col: 0, path: "", message: m })));
  return res.data!;
}

export function tokensFromFile(file: string): TokensFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([
      { file, line: 0, col: 0, path: "", message: `cannot read tokens file: ${(e as Error).message}` },
    ]);
  }
  return loadYaml(text, file, TokensFile).value;
}

export function mergeTokens(...parts: TokensFile[]): TokensFile {
  return {
    agents: parts.flatMap((p) => p.agents),
    enrolment: parts.flatMap((p) => p.enrolment),
    operators: parts.flatMap((p) => p.operators),
  };
}

export type AgentAuthResult =
  | { ok: true; via: "agent-token" | "enrolment" | "insecure" }
  | { ok: false; reason: string };

export class Auth {
  constructor(
    readonly insecureDev: boolean,
    private readonly tokens: TokensFile,
    private readonly state: RedisState,
  ) {}

  /** The operator a bearer token belongs to, or undefined. */
  operator(token: string | undefined): { name: string; role: Role } | undefined {
    if (this.insecureDev) return { name: "insecure-dev", role: "admin" };
    if (!token) return undefined;
    let found: { name: string; role: Role } | undefined;
    // check every token (no early exit) so timing does not reveal which one matched
    for (const o of this.tokens.operators)
      if (safeEqual(o.token, token) && !found) found = { name: o.name, role: o.role };
    return found;
  }

  async agent(agentId: string, token: string, hostname: string): Promise<AgentAuthResult> {
    if (this.insecureDev) return { ok: true, via: "insecure" };
    let perAgent = false;
    let perAgentMismatch = false;
    for (const a of this.tokens.agents) {
      if (a.id !== agentId) continue;
      if (safeEqual(a.token, token)) perAgent = true;
      else perAgentMismatch = true;
    }
    if (perAgent) return { ok: true, via: "agent-token" };
    let enrol = false;
    for (const t of this.tokens.enrolment) if (safeEqual(t, token)) enrol = true;
    if (!enrol)
      return { ok: false, reason: perAgentMismatch ? `wrong token for agent ${agentId}` : "unknown agent token" };
    const binding = { tokenHash: hashToken(token), hostname };
    const key = this.state.key("agent-bindings");
    const created = await this.state.redis.hsetnx(key, agentId, JSON.stringify(binding));
    if (created) return { ok: true, via: "enrolment" };
    const prev = JSON.parse((await this.state.redis.hget(key, agentId)) ?? "{}") as {
      tokenHash?: string;
      hostname?: string;
    };
    if (prev.tokenHash && safeEqual(prev.tokenHash, binding.tokenHash) && prev.hostname === hostname)
      return { ok: true, via: "enrolment" };
    return { ok: false, reason: `agent id ${agentId} is bound to another host or enrolment token` };
  }
}
