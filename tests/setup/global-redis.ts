/**
 * Vitest global setup: starts one private redis-server on a free port for the whole run
 * and hands its URL to the tests (`inject("redisUrl")`, also REDIS_URL for child processes).
 * Tests isolate themselves with their own key prefixes / queue names.
 */

import { type RedisHandle, startRedis } from "@benchfleet/controller";
import type { TestProject } from "vitest/node";

let handle: RedisHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  handle = await startRedis();
  process.env.BENCHFLEET_TEST_REDIS_URL = handle.url;
  project.provide("redisUrl", handle.url);
}

export async function teardown(): Promise<void> {
  await handle?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
