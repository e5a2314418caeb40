/**
 * Fault injection state of one emulator server: crash (after N s or N completed requests),
 * hang (stop emitting and answering), 503 for a while, slow start (/health 503 until ready),
 * dropped connections mid-stream. Set by flags at start and by `POST /control/fault`.
 * Pure state over an injected clock; the server acts on what it says.
 */
import { z } from "zod";

export const FaultSpec = z.discriminatedUnion("fault", [
  z
    .object({
      fault: z.literal("crash"),
      afterS: z.number().nonnegative().optional(),
      afterRequests: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      fault: z.literal("hang"),
      afterS: z.number().nonnegative().optional(),
      afterRequests: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      fault: z.literal("unavailable"),
      afterS: z.number().nonnegative().optional(),
      forS: z.number().positive(),
    })
    .strict(),
  z.object({ fault: z.literal("slow-start"), forS: z.number().positive() }).strict(),
  z
    .object({
      fault: z.literal("drop"),
      /** tokens sent before the connection is cut */
      afterTokens: z.number().int().nonnegative(),
      /** how many of the next requests are cut (all when absent) */
      requests: z.number().int().positive().optional(),
    })
    .strict(),
  z.object({ fault: z.literal("clear") }).strict(),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;

export type Admission = { kind: "ok" } | { kind: "unavailable"; reason: string } | { kind: "hang" };

export interface FaultSnapshot {
  crashed: boolean;
  hung: boolean;
  starting: boolean;
  unavailable: boolean;
  crashAt?: number;
  crashAfterRequests?: number;
  hangAt?: number;
  hangAfterRequests?: number;
  dropAfterTokens?: number;
  dropRemaining?: number | null;
  completedRequests: number;
  receivedRequests: number;
}

export class FaultState {
  private crashAt: number | undefined;
  private crashAfterRequests: number | undefined;
  private hangAt: number | undefined;
  private hangAfterRequests: number | undefined;
  private unavailableFrom: number | undefined;
  private unavailableUntil: number | undefined;
  private readyAt: number;
  private drop: { afterTokens: number; remaining: number | undefined } | undefined;
  private completed = 0;
  private received = 0;
  crashed = false;

  /** `now` in ms (any monotonic clock) */
  constructor(private readonly now: () => number = () => performance.now()) {
    this.readyAt = now();
  }

  apply(spec: FaultSpec): void {
    const t = this.now();
    switch (spec.fault) {
      case "crash":
        if (spec.afterS === undefined && spec.afterRequests === undefined) this.crashAt = t;
        if (spec.afterS !== undefined) this.crashAt = t + spec.afterS * 1000;
        if (spec.afterRequests !== undefined) this.crashAfterRequests = this.completed + spec.afterRequests;
        break;
      case "hang":
        if (spec.afterS === undefined && spec.afterRequests === undefined) this.hangAt = t;
        if (spec.afterS !== undefined) this.hangAt = t + spec.afterS * 1000;
        if (spec.afterRequests !== undefined) this.hangAfterRequests = this.completed + spec.afterRequests;
        break;
      case "unavailable":
        this.unavailableFrom = t + (spec.afterS ?? 0) * 1000;
        this.unavailableUntil = this.unavailableFrom + spec.forS * 1000;
        break;
      case "slow-start":
        this.readyAt = t + spec.forS * 1000;
        break;
      case "drop":
        this.drop = { afterTokens: spec.afterTokens, remaining: spec.requests };
        break;
      case "clear":
        this.crashAt = this.crashAfterRequests = this.hangAt = this.hangAfterRequests = undefined;
        this.unavailableFrom = this.unavailableUntil = undefined;
        this.drop = undefined;
        this.readyAt = t;
        break;
    }
  }

  /** ms from now until a timed fault (crash or hang) is due, for the server's timers. */
  nextDeadline(): number | undefined {
    const ds = [this.crashAt, this.hangAt].filter((x): x is number => x !== undefined && !this.crashed);
    return ds.length ? Math.max(0, Math.min(...ds) - this.now()) : undefined;
  }

  shouldCrash(): boolean {
    if (this.crashed) return true;
    const t = this.now();
    return (
      (this.crashAt !== undefined && t >= this.crashAt) ||
      (this.crashAfterRequests !== undefined && this.completed >= this.crashAfterRequests)
    );
  }

  isHung(): boolean {
    const t = this.now();
    return (
      (this.hangAt !== undefined && t >= this.hangAt) ||
      (this.hangAfterRequests !== undefined && this.completed >= this.hangAfterRequests)
    );
  }

  isStarting(): boolean {
    return this.now() < this.readyAt;
  }

  isUnavailable(): boolean {
    const t = this.now();
    return this.unavailableFrom !== undefined && t >= this.unavailableFrom && t < (this.unavailableUntil ?? 0);
  }

  /** What /health answers. */
  health(): "ok" | "starting" | "unavailable" | "hang" {
    if (this.isHung()) return "hang";
    if (this.isStarting()) return "starting";
    if (this.isUnavailable()) return "unavailable";
    return "ok";
  }

  /** Decides on a new inference request. */
  admit(): Admission {
    this.received++;
    if (this.isHung()) return { kind: "hang" };
    if (this.isStarting()) return { kind: "unavailable", reason: "server is starting (slow-start fault)" };
    if (this.isUnavailable()) return { kind: "unavailable", reason: "server unavailable (503 fault)" };
    return { kind: "ok" };
  }

  /** Tokens after which this new request's connection is cut, if a drop fault is armed. */
  dropFor(): number | undefined {
    if (!this.drop) return undefined;
    const { afterTokens, remaining } = this.drop;
    if (remaining !== undefined) {
      if (remaining <= 1) this.drop = undefined;
      else this.drop.remaining = remaining - 1;
    }
    return afterTokens;
  }

  requestCompleted(): void {
    this.completed++;
  }

  snapshot(): FaultSnapshot {
    return {
      crashed: this.crashed,
      hung: this.isHung(),
      starting: this.isStarting(),
      unavailable: this.isUnavailable(),
      crashAt: this.crashAt,
      crashAfterRequests: this.crashAfterRequests,
      hangAt: this.hangAt,
      hangAfterRequests: this.hangAfterRequests,
      dropAfterTokens: this.drop?.afterTokens,
      dropRemaining: this.drop ? (this.drop.remaining ?? null) : undefined,
      completedRequests: this.completed,
      receivedRequests: this.received,
    };
  }
}
