/**
 * `framework: custom`: a server benchfleet has no recipe for, described in the entry's
 * `benchfleet.server` block — the command that starts it, its environment, the port it serves its
 * OpenAI-compatible API on and the path that answers 200 once it is ready. The rule that ties the
 * block to the framework (`customServerRule`) runs on every master-config entry.
 */
import { z } from "zod";

export const CUSTOM_FRAMEWORK = "custom";

export const CustomServer = z
  .object({
    /** argv of the server: the program, then its arguments */
    command: z.array(z.string().min(1)).min(1),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "environment names are letters, digits and _"), z.string())
      .default({}),
    /** the port the server listens on (its OpenAI-compatible API and the health path) */
    port: z.number().int().min(1).max(65535),
    /** path that answers 200 once the server is ready */
    health: z.string().regex(/^\//, "the health path starts with /").default("/health"),
    /** working directory of the server (default: the attempt's scratch folder) */
    cwd: z.string().min(1).optional(),
  })
  .strict();
export type CustomServer = z.infer<typeof CustomServer>;

/** `framework: custom` needs `benchfleet.server`; any other framework must not carry one. */
export function customServerRule(
  v: { framework: string; benchfleet?: { server?: CustomServer } },
  ctx: z.RefinementCtx,
): void {
  const server = v.benchfleet?.server;
  if (v.framework === CUSTOM_FRAMEWORK && !server)
    ctx.addIssue({
      code: "custom",
      message: "framework custom needs benchfleet.server: { command, port, env?, health? }",
      path: ["framework"],
    });
  if (v.framework !== CUSTOM_FRAMEWORK && server)
    ctx.addIssue({
      code: "custom",
      message: `benchfleet.server is only for framework custom (this entry is ${v.framework})`,
      path: ["benchfleet", "server"],
    });
}
