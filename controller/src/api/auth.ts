/**
 * Authentication and roles.
 * - Agents: a per-agent token (bound to that agent id; nothing else opens that id), or an enrolment
 *   token: the first hello with it binds the agent id to that token and to a credential the
 *   controller issues in the welcome; later hellos for the id must bring both.
 * - Operators: tokens with roles viewer < operator < admin. Reads need viewer, mutations operator.
 * Tokens come from env (BENCHFLEET_AGENT_TOKENS="id=tok,…", BENCHFLEET_ENROLMENT_TOKENS="tok,…",
 * BENCHFLEET_OPERATOR_TOKENS="name:role:tok,…") and/or a YAML/JSON file; compared in constant time.
 * `insecureDev` turns all checks off (local demo only).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
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
  /** `issued`: a new credential for the agent to keep and present in its later hellos */
  { ok: true; via: "agent-token" | "enrolment" | "insecure"; issued?: string } | { ok: false; reason: string };

/** What an enrolled agent id is bound to (hashes only); `hostname`: bindings made before credentials */
interface AgentBinding {
  tokenHash?: string;
  credentialHash?: string;
  hostname?: string;
}

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

  /**
   * Authenticates an agent's hello. An id listed with its own token accepts only that token (an
   * enrolment token never opens it). Any other id may enrol with an enrolment token: the first
   * hello binds the id to that token and to a credential the controller makes and hands out in the
   * welcome (`issued`); every later hello for the id must bring both. The hostname an agent states is
   * not part of the binding (anyone can state any hostname). Bindings made before credentials were
   * issued (enrolment token + hostname) are upgraded on their next matching hello.
   */
  async agent(agentId: string, token: string, hostname: string, credential?: string): Promise<AgentAuthResult> {
    if (this.insecureDev) return { ok: true, via: "insecure" };
    let perAgent = false;
    let hasOwnToken = false;
    for (const a of this.tokens.agents) {
      if (a.id !== agentId) continue;
      hasOwnToken = true;
      if (safeEqual(a.token, token)) perAgent = true;
    }
    if (perAgent) return { ok: true, via: "agent-token" };
    if (hasOwnToken) return { ok: false, reason: `agent ${agentId} has its own token; this is not it` };
    let enrol = false;
    for (const t of this.tokens.enrolment) if (safeEqual(t, token)) enrol = true;
    if (!enrol) return { ok: false, reason: "unknown agent token" };
    const key = this.state.key("agent-bindings");
    const issued = randomBytes(32).toString("base64url");
    const tokenHash = hashToken(token);
    const binding: AgentBinding = { tokenHash, credentialHash: hashToken(issued) };
    if (await this.state.redis.hsetnx(key, agentId, JSON.stringify(binding)))
      return { ok: true, via: "enrolment", issued };
    const prev = JSON.parse((await this.state.redis.hget(key, agentId)) ?? "{}") as AgentBinding;
    const sameToken = prev.tokenHash !== undefined && safeEqual(prev.tokenHash, tokenHash);
    if (sameToken && prev.credentialHash !== undefined) {
      if (credential !== undefined && safeEqual(prev.credentialHash, hashToken(credential)))
        return { ok: true, via: "enrolment" };
      return {
        ok: false,
        reason: `agent id ${agentId} is enrolled with another credential (an operator can forget its enrolment: DELETE /api/v1/agents/${agentId}/enrolment)`,
      };
    }
    if (sameToken && prev.credentialHash === undefined && prev.hostname === hostname) {
      await this.state.redis.hset(key, agentId, JSON.stringify(binding));
      return { ok: true, via: "enrolment", issued };
    }
    return { ok: false, reason: `agent id ${agentId} is bound to another enrolment token` };
  }

  /** Forgets an agent id's enrolment (its data dir and credential were lost): the next enrolment binds it anew. */
  async forgetEnrolment(agentId: string): Promise<boolean> {
    return (await this.state.redis.hdel(this.state.key("agent-bindings"), agentId)) > 0;
  }
}
