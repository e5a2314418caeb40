/**
 * The parts of an attempt that both the agent protocol and the controller's attempt records name:
 * the lifecycle phases and the members of the gang running it. Apart from protocol.ts so that the
 * dashboard can read the records' types without the protocol's Node-only decoder.
 */
import { z } from "zod";

export const PHASES = ["prepare", "launch", "ready", "warmup", "load", "eval", "teardown"] as const;
export const Phase = z.enum(PHASES);
export type Phase = z.infer<typeof Phase>;

export const GangMember = z
  .object({
    agentId: z.string(),
    hostname: z.string(),
    ip: z.string(),
    /** 0 = leader: runs router/frontend, load generator and eval */
    rank: z.number().int().nonnegative(),
    gpuCount: z.number().int().positive(),
    rdmaDevices: z.array(z.string()),
  })
  .strict();
export type GangMember = z.infer<typeof GangMember>;
