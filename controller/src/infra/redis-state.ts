/**
 * Controller state in Redis (besides BullMQ's own keys): JSON records in hashes under
 * `<prefix>:ctl:*`. The controller is the only writer; components keep an in-memory copy and
 * write through, and reload everything from here after a restart.
 */
import { Redis } from "ioredis";

export class RedisState {
  constructor(
    readonly redis: Redis,
    readonly prefix: string,
  ) {}

  key(...parts: string[]): string {
    return `${this.prefix}:ctl:${parts.join(":")}`;
  }

  async putJson(hash: string, field: string, value: unknown): Promise<void> {
    await this.redis.hset(this.key(hash), field, JSON.stringify(value));
  }

  async getJson<T>(hash: string, field: string): Promise<T | undefined> {
    const v = await this.redis.hget(this.key(hash), field);
    return v === null ? undefined : (JSON.parse(v) as T);
  }

  async allJson<T>(hash: string): Promise<Map<string, T>> {
    const all = await this.redis.hgetall(this.key(hash));
    const out = new Map<string, T>();
    for (const [k, v] of Object.entries(all)) out.set(k, JSON.parse(v) as T);
    return out;
  }

  async del(hash: string, field: string): Promise<void> {
    await this.redis.hdel(this.key(hash), field);
  }

  async incr(name: string, by = 1): Promise<number> {
    return this.redis.incrby(this.key(name), by);
  }

  async getNumber(name: string): Promise<number> {
    return Number((await this.redis.get(this.key(name))) ?? 0);
  }
}

/** A Redis connection as BullMQ wants it (no retry limit per request), from a URL. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}
