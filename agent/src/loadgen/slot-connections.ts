/**
 * The HTTP connections of a load point: two keep-alive connections per slot, used in turn, and a
 * small pool for calibration. undici (7.x) re-validates a keep-alive socket that just went idle for
 * one event-loop turn (setImmediate) before writing the next request on it; under load one turn is
 * milliseconds of send delay. The connection a slot uses next has been idle for a whole request, so
 * the request goes out at once. A slot never has more than one request in flight.
 */
import { Client, Pool } from "undici";

export interface ConnectionOptions {
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

export class SlotConnections {
  readonly pool: Pool;
  private readonly clients: Client[] = [];
  private readonly sent: number[] = [];
  private readonly clientOpts;

  constructor(
    private readonly origin: string,
    o: ConnectionOptions,
  ) {
    this.clientOpts = {
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: o.headersTimeoutMs ?? 600_000,
      bodyTimeout: o.bodyTimeoutMs ?? 300_000,
    };
    this.pool = new Pool(origin, { ...this.clientOpts, connections: 2 });
  }

  /** the connection for slot k's next request (alternating over the slot's two, across phases) */
  forSlot(k: number): Client {
    while (this.clients.length <= 2 * k + 1) this.clients.push(new Client(this.origin, this.clientOpts));
    const n = this.sent[k] ?? 0;
    this.sent[k] = n + 1;
    return this.clients[2 * k + (n & 1)]!;
  }

  async destroy(): Promise<void> {
    await Promise.all([this.pool, ...this.clients].map((c) => c.destroy().catch(() => {})));
  }
}
