/**
 * Controller configuration: environment variables and CLI flags, validated with zod at the edge
 * (`loadConfig`), then passed around as a plain `ControllerConfig`. All durations are milliseconds.
 */

import { AGENT_RECONNECT_MAX_MS, ConfigError } from "@benchfleet/shared";
import { z } from "zod";

const ms = z.coerce.number().int().positive();

export const ControllerConfig = z
  .object({
    /** REDIS_URL; the controller is the only Redis client */
    redisUrl: z.string().regex(/^rediss?:\/\//, "expected redis://host:port or rediss://…"),
    /** prefix of every Redis key (BullMQ queues and controller state): isolates test runs */
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default("bf"),
    /** results DB, log files */
    dataDir: z.string().min(1),
    host: z.string().default("127.0.0.1"),
    port: z.coerce.number().int().min(0).max(65535).default(8480),
    /** YAML/JSON tokens file (agents, enrolment, operators); merged with env tokens */
    tokensFile: z.string().optional(),
    /** recipe presets stored with the deployments of new sweeps (default: the repository's configs/recipes) */
    recipesDir: z.string().min(1).optional(),
    /** a lab (InferenceX) checkout: the benchmark scripts script-mode deployments of new sweeps run */
    labDir: z.string().min(1).optional(),
    /** no auth at all: only for the local demo */
    insecureDev: z.boolean().default(false),
    heartbeatIntervalMs: ms.default(5_000),
    /** no frame for this long → node offline; its attempt's gang is lost unless it is back within disconnectGraceMs */
    heartbeatTimeoutMs: ms.default(20_000),
    /** a disconnected gang member may come back within this long before its attempt fails */
    disconnectGraceMs: ms.default(30_000),
    /** after a controller restart, agents of running attempts have this long to reconnect */
    reconnectGraceMs: ms.default(60_000),
    /** the agents' reconnect back-off cap (their longest wait between tries): the reconnect grace must exceed it */
    agentReconnectMaxMs: ms.default(AGENT_RECONNECT_MAX_MS),
    /** BullMQ lock of an active job; extended while its gang heartbeats */
    lockDurationMs: ms.default(300_000),
    stalledIntervalMs: ms.default(30_000),
    maxStalledCount: z.coerce.number().int().nonnegative().default(3),
    /** tries per job (BullMQ `attempts`) */
    jobAttempts: z.coerce.number().int().positive().default(3),
    /** exponential backoff base delay between tries (with jitter) */
    backoffMs: ms.default(30_000),
    backoffJitter: z.coerce.number().min(0).max(1).default(0.5),
    /**
     * a job whose every eligible node is excluded (each failed one of its attempts) goes back to an
     * excluded node once this long has passed since that node's failure
     */
    exclusionBackoffMs: ms.default(300_000),
    /** quarantine a node after failures of K different jobs within the window */
    quarantineK: z.coerce.number().int().positive().default(3),
    quarantineWindowMs: ms.default(3_600_000),
    /** one priority step is gained per this much waiting */
    agingMsPerPriorityStep: ms.default(600_000),
    dispatchIntervalMs: ms.default(1_000),
    /** slack added to the sum of a deployment's phase timeouts before the controller gives up on an attempt */
    attemptDeadlineSlackMs: ms.default(600_000),
    logMaxBytes: ms.default(16 * 1024 * 1024),
    logRotations: z.coerce.number().int().min(1).max(20).default(2),
    /** event subscribers: telemetry/log deltas dropped above this many buffered bytes */
    eventSoftLimitBytes: ms.default(1024 * 1024),
    /** … and the connection closed above this */
    eventHardLimitBytes: ms.default(32 * 1024 * 1024),
    pingIntervalMs: ms.default(15_000),
    /** at startup, give up (a one-line error) when Redis has not answered within this long */
    redisStartupTimeoutMs: ms.default(30_000),
  })
  .strict()
  .refine((c) => c.reconnectGraceMs > c.agentReconnectMaxMs, {
    path: ["reconnectGraceMs"],
    message:
      "must exceed the agents' reconnect back-off cap (agentReconnectMaxMs, env BENCHFLEET_AGENT_RECONNECT_MAX_MS): an agent waiting out its back-off would come back after its running attempt was given up",
  });
export type ControllerConfig = z.infer<typeof ControllerConfig>;
export type ControllerConfigInput = z.input<typeof ControllerConfig>;

const ENV: Record<string, keyof ControllerConfig> = {
  REDIS_URL: "redisUrl",
  BENCHFLEET_KEY_PREFIX: "keyPrefix",
  BENCHFLEET_DATA_DIR: "dataDir",
  BENCHFLEET_HOST: "host",
  BENCHFLEET_PORT: "port",
  BENCHFLEET_TOKENS_FILE: "tokensFile",
  BENCHFLEET_RECIPES_DIR: "recipesDir",
  BENCHFLEET_LAB_DIR: "labDir",
  BENCHFLEET_HEARTBEAT_INTERVAL_MS: "heartbeatIntervalMs",
  BENCHFLEET_HEARTBEAT_TIMEOUT_MS: "heartbeatTimeoutMs",
  BENCHFLEET_DISCONNECT_GRACE_MS: "disconnectGraceMs",
  BENCHFLEET_RECONNECT_GRACE_MS: "reconnectGraceMs",
  BENCHFLEET_AGENT_RECONNECT_MAX_MS: "agentReconnectMaxMs",
  BENCHFLEET_LOCK_DURATION_MS: "lockDurationMs",
  BENCHFLEET_STALLED_INTERVAL_MS: "stalledIntervalMs",
  BENCHFLEET_JOB_ATTEMPTS: "jobAttempts",
  BENCHFLEET_BACKOFF_MS: "backoffMs",
  BENCHFLEET_EXCLUSION_BACKOFF_MS: "exclusionBackoffMs",
  BENCHFLEET_QUARANTINE_K: "quarantineK",
  BENCHFLEET_QUARANTINE_WINDOW_MS: "quarantineWindowMs",
  BENCHFLEET_AGING_MS: "agingMsPerPriorityStep",
  BENCHFLEET_DISPATCH_INTERVAL_MS: "dispatchIntervalMs",
  BENCHFLEET_REDIS_STARTUP_TIMEOUT_MS: "redisStartupTimeoutMs",
};

/** Builds the config from env (see ENV) overlaid with explicit values (flags); throws ConfigError naming the bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: Partial<ControllerConfigInput> = {}): ControllerConfig {
  const raw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) if (env[name] !== undefined && env[name] !== "") raw[key] = env[name];
  if (env.BENCHFLEET_INSECURE_DEV === "1") raw.insecureDev = true;
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const res = ControllerConfig.safeParse(raw);
  if (!res.success) {
    const reverse = new Map(Object.entries(ENV).map(([e, k]) => [k as string, e]));
    throw new ConfigError(
      res.error.issues.map((i) => {
        const key = String(i.path[0] ?? "");
        const env = reverse.get(key);
        return {
          file: "(controller settings)",
          line: 0,
          col: 0,
          path: env ? `${key} (env ${env})` : key,
          message: i.message,
        };
      }),
    );
  }
  return res.data;
}
