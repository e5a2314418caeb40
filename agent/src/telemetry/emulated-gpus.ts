/**
 * GPU samples of an emulated node: every interval, reads how busy each emulated engine of this node
 * has been (`GET /control/state` → `gpu`, see agent/src/emulator/gpu-load.ts) and turns that into one
 * sample per GPU with the emulated power model (emulated-power.ts). The polling is the only I/O.
 */
import type { SkuName } from "@benchfleet/shared";
import { z } from "zod";
import { findSku, loadSkuCatalog } from "../emulator/model-spec.js";
import type { EmulatedEngineRef } from "../launchers/emulated.js";
import { type BusyReading, type EngineGpuReading, emulatedGpuSamples, utilisationBetween } from "./emulated-power.js";
import type { GpuSample } from "./gpu-sample.js";
import type { GpuSampleSource } from "./sampler.js";

/** the part of an engine's `/control/state` this reads */
const EngineState = z.object({
  gpu: z.object({
    busyWallMs: z.number().nonnegative(),
    wallMs: z.number().nonnegative(),
    memUsedMiB: z.number().nullable(),
    timeScale: z.number().positive(),
  }),
});

export interface EmulatedGpuSourceOptions {
  sku: SkuName;
  gpuCount: number;
  /** the engines running on this node now */
  engines: () => EmulatedEngineRef[];
  /** default 500 ms (as the nvidia-smi stream) */
  intervalMs?: number;
  /** TDP per GPU (default: the SKU catalog's `tdpW`) */
  tdpW?: number;
  onError?: (message: string) => void;
}

export class EmulatedGpuSource implements GpuSampleSource {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly previous = new Map<string, BusyReading>();
  private scale = 1;
  private readonly tdpW: number;
  private readonly intervalMs: number;
  private lastError: string | undefined;

  constructor(private readonly o: EmulatedGpuSourceOptions) {
    this.tdpW = o.tdpW ?? findSku(loadSkuCatalog(), o.sku).spec.tdpW;
    this.intervalMs = o.intervalMs ?? 500;
  }

  start(add: (s: GpuSample) => void): void {
    if (this.timer) return;
    const tick = () => {
      if (this.polling) return;
      this.polling = true;
      this.poll()
        .then((samples) => {
          for (const s of samples) add(s);
        })
        .catch((e) => this.o.onError?.(`emulated GPU samples: ${(e as Error).message}`))
        .finally(() => {
          this.polling = false;
        });
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  timeScale(): number {
    return this.scale;
  }

  /** one sample per GPU of the node, now */
  async poll(): Promise<GpuSample[]> {
    const engines = this.o.engines();
    const readings: EngineGpuReading[] = await Promise.all(engines.map((e) => this.read(e)));
    const seen = new Set(engines.map(key));
    for (const k of this.previous.keys()) if (!seen.has(k)) this.previous.delete(k);
    return emulatedGpuSamples({ t: Date.now(), gpuCount: this.o.gpuCount, tdpW: this.tdpW, engines: readings });
  }

  private async read(e: EmulatedEngineRef): Promise<EngineGpuReading> {
    try {
      const res = await fetch(`${e.url}/control/state`, {
        signal: AbortSignal.timeout(Math.max(250, this.intervalMs)),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const { gpu } = EngineState.parse(await res.json());
      const k = key(e);
      const utilisation = utilisationBetween(this.previous.get(k), gpu);
      this.previous.set(k, { busyWallMs: gpu.busyWallMs, wallMs: gpu.wallMs });
      this.scale = gpu.timeScale;
      this.lastError = undefined;
      return { gpus: e.gpus, utilisation: utilisation ?? 0, memUsedMiB: gpu.memUsedMiB };
    } catch (err) {
      // an engine still starting (or gone) does not answer: its GPUs idle; other failures said once
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code === "ECONNREFUSED") return { gpus: e.gpus, utilisation: null, memUsedMiB: null };
      const msg = `engine ${e.name} (${e.url}): ${(err as Error).message}`;
      if (msg !== this.lastError) this.o.onError?.(`emulated GPU samples: ${msg}; its GPUs read idle`);
      this.lastError = msg;
      return { gpus: e.gpus, utilisation: null, memUsedMiB: null };
    }
  }
}

const key = (e: EmulatedEngineRef) => `${e.name} ${e.url}`;
