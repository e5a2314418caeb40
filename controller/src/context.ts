/** Everything a running controller is made of, handed to the API routes. */
import type { Redis } from "ioredis";
import type { AgentHub } from "./agent-hub.js";
import type { AttemptSupervisor, Logger } from "./attempt-supervisor.js";
import type { AttemptStore } from "./attempts.js";
import type { Auth } from "./auth.js";
import type { Bus } from "./bus.js";
import type { ControllerConfig } from "./config.js";
import type { Dispatcher } from "./dispatcher.js";
import type { EventHub } from "./event-hub.js";
import type { JobStore } from "./jobs.js";
import type { LogStore } from "./log-store.js";
import type { NodeRegistry } from "./node-registry.js";
import type { QueueSet } from "./queues.js";
import type { RedisState } from "./redis-state.js";
import type { ResultsDb } from "./results-db.js";
import type { Sweeps } from "./sweeps.js";

export interface ControllerContext {
  cfg: ControllerConfig;
  redis: Redis;
  state: RedisState;
  bus: Bus;
  queues: QueueSet;
  jobs: JobStore;
  attempts: AttemptStore;
  registry: NodeRegistry;
  results: ResultsDb;
  logs: LogStore;
  auth: Auth;
  supervisor: AttemptSupervisor;
  dispatcher: Dispatcher;
  hub: AgentHub;
  events: EventHub;
  sweeps: Sweeps;
  log: Logger;
}
