/** Everything a running controller is made of, handed to the API routes. */
import type { Redis } from "ioredis";
import type { Auth } from "./api/auth.js";
import type { EventHub } from "./api/event-hub.js";
import type { AgentHub } from "./fleet/agent-hub.js";
import type { NodeRegistry } from "./fleet/node-registry.js";
import type { Bus } from "./infra/bus.js";
import type { LogStore } from "./infra/log-store.js";
import type { Logger } from "./infra/logger.js";
import type { RedisState } from "./infra/redis-state.js";
import type { AttemptStore } from "./jobs/attempts.js";
import type { JobStore } from "./jobs/jobs.js";
import type { Sweeps } from "./jobs/sweeps.js";
import type { ResultsDb } from "./results/results-db.js";
import type { AttemptSupervisor } from "./scheduling/attempt-supervisor.js";
import type { Dispatcher } from "./scheduling/dispatcher.js";
import type { QueueSet } from "./scheduling/queues.js";
import type { ControllerConfig } from "./settings.js";

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
