/**
 * Roofline performance model of one engine worker (pure; see README.md in this folder).
 *
 * A step of the continuous-batching loop processes some decode tokens (each running request
 * verifies 1 + draft tokens) and some prefill tokens (chunked prefill). Its duration, per GPU:
 *   roofline = max(bytes read ÷ (HBM bandwidth × hbmEff), FLOPs ÷ (peak × mfu))
 *   step     = roofline + communication (TP all-reduce / EP all-to-all per layer) + overhead
 *              + MTP draft passes
 * bytes read = dense weights + the routed experts the step's tokens touch + KV cache of context;
 * FLOPs      = 2 × active params × tokens + attention FLOPs growing with context.
 *
 * Pipeline parallelism (pp > 1) splits the layers, their weights and their KV evenly over pp stages
 * of tp GPUs each. A step's batch passes the stages in turn: each stage's roofline covers its share
 * of the layers on its own GPUs, and between stages the step's hidden states cross a hop (one
 * point-to-point send per stage boundary: link latency + tokens × hidden × 2 B ÷ tp per GPU, across
 * nodes at scale-out bandwidth unless the stages share a scale-up domain). One batch is in flight at
 * a time (no micro-batch interleaving), so PP buys memory — weights and KV per GPU ÷ pp — not speed:
 * a step costs the whole model's roofline plus the hops.
 */
import type { SkuSpec } from "@benchfleet/shared";
import { EmulatorConfigError, type ModelSpec, type Precision } from "./model-spec.js";

export interface Parallelism {
  tp: number;
  ep: number;
  /** pipeline stages (default 1): the layers split over pp groups of tp GPUs, each stage in turn */
  pp?: number;
  /**
   * GPUs the routed experts are sharded over when the expert-parallel group spans other engine
   * processes as well (one process per node of a data-parallel group spanning nodes, each modelling
   * its own tp GPUs); default: this engine's GPUs
   */
  epGroup?: number;
  dpAttn: boolean;
  /** multi-token prediction on (the model must have an MTP head) */
  mtp: boolean;
}

/** Efficiency factors and overheads; defaults documented in README.md. */
export interface PerfConstants {
  /** share of HBM the engine may use for weights + activations + KV (mem-fraction-static) */
  memFraction: number;
  /** activation / CUDA-graph workspace per GPU, GB */
  activationGB: number;
  /** achieved share of peak HBM bandwidth */
  hbmEff: number;
  /** achieved share of peak FLOPs for the linear layers */
  mfu: number;
  /** achieved share of peak FLOPs for attention */
  attnMfu: number;
  /** fixed cost of one step (scheduler, launches), ms */
  stepOverheadMs: number;
  /** latency of one collective inside the scale-up domain, µs */
  collectiveLatencyUs: number;
  /** latency of one collective across nodes, µs */
  crossNodeLatencyUs: number;
  /** per-GPU scale-out (RDMA) bandwidth, GB/s, for KV transfer and cross-node collectives */
  scaleOutGBps: number;
  /** fixed part of a prefill→decode KV transfer, ms */
  kvTransferBaseMs: number;
  /** cost of one MTP draft pass relative to one full-model layer pass over the batch */
  mtpDraftLayers: number;
  /** per-GPU host link (PCIe) bandwidth, GB/s, for KV loaded back from host DRAM */
  hostLinkGBps: number;
}

export const DEFAULT_CONSTANTS: PerfConstants = {
  memFraction: 0.88,
  activationGB: 4,
  hbmEff: 0.8,
  mfu: 0.5,
  attnMfu: 0.35,
  stepOverheadMs: 1.5,
  collectiveLatencyUs: 8,
  crossNodeLatencyUs: 25,
  scaleOutGBps: 50,
  kvTransferBaseMs: 2,
  mtpDraftLayers: 1.5,
  hostLinkGBps: 50,
};

/** The work of one scheduler step (all tokens across the worker's GPUs). */
export interface StepWork {
  /** requests decoding this step */
  decodeRequests: number;
  /** sum of the context lengths of the decoding requests (KV read) */
  decodeContextTokens: number;
  /** prefill tokens processed this step */
  prefillTokens: number;
  /** Σ over prefill tokens of their position (attention FLOPs of the chunk) */
  prefillAttnPairs: number;
}

export interface StepCost {
  ms: number;
  memMs: number;
  computeMs: number;
  commMs: number;
  draftMs: number;
  bound: "memory" | "compute";
}

const BYTES_PER_PARAM: Record<Precision, number> = { fp4: 0.5625, fp8: 1, bf16: 2 };

export class PerfModel {
  readonly gpus: number;
  readonly weightBytesPerGpu: number;
  readonly kvBytesPerToken: number;
  /** tokens of KV cache the worker holds in all */
  readonly kvCapacityTokens: number;
  /** draft tokens verified per decode step (0 without MTP) */
  readonly draftTokens: number;
  readonly acceptance: readonly number[];
  readonly c: PerfConstants;
  private readonly denseBytesPerGpu: number;
  private readonly expertBytesPerGpu: number;
  private readonly kvShards: number;
  private readonly linearPeak: number;
  private readonly attnPeak: number;
  private readonly linkGBps: number;
  private readonly linkLatencyUs: number;
  private readonly pp: number;
  private readonly expertShards: number;
  private readonly epGBps: number;
  private readonly epLatencyUs: number;
  private readonly hopGBps: number;
  private readonly hopLatencyUs: number;

  constructor(
    readonly sku: SkuSpec,
    readonly model: ModelSpec,
    readonly precision: Precision,
    readonly par: Parallelism,
    constants: Partial<PerfConstants> = {},
  ) {
    this.c = { ...DEFAULT_CONSTANTS, ...constants };
    const { tp, ep, dpAttn } = par;
    const pp = par.pp ?? 1;
    if (!Number.isInteger(tp) || tp < 1) throw new EmulatorConfigError(`tp must be a positive integer, got ${tp}`);
    if (!Number.isInteger(pp) || pp < 1) throw new EmulatorConfigError(`pp must be a positive integer, got ${pp}`);
    if (pp > model.layers)
      throw new EmulatorConfigError(`pp (${pp}) must not exceed the layers of ${model.name} (${model.layers})`);
    if (!Number.isInteger(ep) || ep < 1) throw new EmulatorConfigError(`ep must be a positive integer, got ${ep}`);
    if (ep > tp)
      throw new EmulatorConfigError(
        `ep (${ep}) must not exceed tp (${tp}): experts are sharded inside the worker's GPUs`,
      );
    const epGroup = par.epGroup ?? tp;
    if (!Number.isInteger(epGroup) || epGroup < tp)
      throw new EmulatorConfigError(
        `the expert-parallel group (${epGroup}) must be an integer of at least this engine's tp (${tp})`,
      );
    if (epGroup > tp && ep !== tp)
      throw new EmulatorConfigError(
        `an expert-parallel group (${epGroup}) beyond this engine needs ep = tp (${tp}), got ep ${ep}`,
      );
    if (ep > 1 && model.experts === 0)
      throw new EmulatorConfigError(`ep ${ep} needs a MoE model; ${model.name} is dense`);
    if (par.mtp && !model.mtp) throw new EmulatorConfigError(`${model.name} has no MTP head (spec-decoding mtp)`);
    this.pp = pp;
    this.gpus = tp * pp;
    const bpp = BYTES_PER_PARAM[precision];
    // dp-attention replicates attention/dense weights on every rank; otherwise TP shards them; each
    // pipeline stage holds its share of the layers
    this.denseBytesPerGpu = (model.denseParamsB * 1e9 * bpp) / (dpAttn ? 1 : tp) / pp;
    this.expertShards = epGroup;
    this.expertBytesPerGpu = (model.expertParamsB * 1e9 * bpp) / epGroup / pp;
    this.weightBytesPerGpu = this.denseBytesPerGpu + this.expertBytesPerGpu;
    this.kvBytesPerToken = model.kvBytesPerToken[precision];
    this.kvShards = dpAttn ? tp : model.kvShardable ? Math.min(tp, model.kvHeads) : 1;

    const usable = sku.hbmGB * 1e9 * this.c.memFraction - this.c.activationGB * 1e9;
    const freePerGpu = usable - this.weightBytesPerGpu;
    if (freePerGpu <= 0) {
      const gb = (x: number) => (x / 1e9).toFixed(1);
      throw new EmulatorConfigError(
        `out of memory: ${model.name} ${precision} at tp ${tp}${pp > 1 ? ` × pp ${pp}` : ""} needs ${gb(this.weightBytesPerGpu)} GB of weights per GPU, ` +
          `the GPU offers ${gb(usable)} GB (${sku.hbmGB} GB × ${this.c.memFraction} − ${this.c.activationGB} GB activations)`,
      );
    }
    // KV is either split across kvShards GPUs or replicated: capacity counts distinct tokens; a
    // stage's GPUs hold the KV of its layers only
    this.kvCapacityTokens = Math.floor((freePerGpu * this.kvShards * pp) / this.kvBytesPerToken);

    this.draftTokens = par.mtp && model.mtp ? model.mtp.draftTokens : 0;
    this.acceptance = par.mtp && model.mtp ? model.mtp.acceptance : [];

    const linearTflops =
      precision === "fp4" ? sku.fp4Tflops || sku.fp8Tflops : precision === "fp8" ? sku.fp8Tflops : sku.bf16Tflops;
    this.linearPeak = linearTflops * 1e12;
    this.attnPeak = sku.bf16Tflops * 1e12;
    const intraDomain = tp <= Math.max(sku.gpusPerNode, sku.scaleUpDomain);
    this.linkGBps = intraDomain ? sku.scaleUpGBps : Math.min(sku.scaleUpGBps, this.c.scaleOutGBps);
    this.linkLatencyUs = intraDomain ? this.c.collectiveLatencyUs : this.c.crossNodeLatencyUs;
    const epInDomain = epGroup <= Math.max(sku.gpusPerNode, sku.scaleUpDomain);
    this.epGBps = epInDomain ? this.linkGBps : Math.min(sku.scaleUpGBps, this.c.scaleOutGBps);
    this.epLatencyUs = epInDomain ? this.linkLatencyUs : this.c.crossNodeLatencyUs;
    const stagesInDomain = tp * pp <= Math.max(sku.gpusPerNode, sku.scaleUpDomain);
    this.hopGBps = stagesInDomain ? sku.scaleUpGBps : Math.min(sku.scaleUpGBps, this.c.scaleOutGBps);
    this.hopLatencyUs = stagesInDomain ? this.c.collectiveLatencyUs : this.c.crossNodeLatencyUs;
  }

  /** Expected share of routed experts that `tokens` tokens touch (each picks k of E). */
  expertsTouched(tokens: number): number {
    const { experts, activeExperts } = this.model;
    if (experts === 0) return 0;
    return 1 - (1 - activeExperts / experts) ** tokens;
  }

  /** Mean tokens emitted per decode step per request: 1 + expected accepted drafts. */
  get meanAcceptLength(): number {
    let expect = 1;
    let p = 1;
    for (const a of this.acceptance) {
      p *= a;
      expect += p;
    }
    return expect;
  }

  /** Duration of one step in (emulated) milliseconds. */
  step(w: StepWork): StepCost {
    const { model, c, pp } = this;
    const { tp } = this.par;
    const decodeTokens = w.decodeRequests * (1 + this.draftTokens);
    const tokens = decodeTokens + w.prefillTokens;
    if (tokens === 0) return { ms: 0, memMs: 0, computeMs: 0, commMs: 0, draftMs: 0, bound: "memory" };

    // per GPU of one stage; the stages run in turn, so the step's times are pp × a stage's
    const bytes =
      this.denseBytesPerGpu +
      this.expertBytesPerGpu * this.expertsTouched((tokens * this.expertShards) / tp) +
      (w.decodeContextTokens * this.kvBytesPerToken) / this.kvShards / pp;
    const memMs = pp * (bytes / (this.sku.hbmTBps * 1e12 * c.hbmEff)) * 1e3;

    const linearFlops = (2 * model.activeParamsB * 1e9 * tokens) / tp / pp;
    const ctxPairs = w.decodeContextTokens * (1 + this.draftTokens) + w.prefillAttnPairs;
    const attnFlops = (model.attnFlopsPerTokenPerCtx * ctxPairs) / tp / pp;
    const computeMs = pp * (linearFlops / (this.linearPeak * c.mfu) + attnFlops / (this.attnPeak * c.attnMfu)) * 1e3;

    const commMs = this.commMs(tokens) + this.hopMs(tokens);
    let draftMs = 0;
    if (this.draftTokens > 0 && w.decodeRequests > 0) {
      // each draft pass ≈ mtpDraftLayers layers of the main model over the decoding batch
      const perLayer = Math.max(memMs, computeMs) / model.layers;
      draftMs = this.draftTokens * (perLayer * c.mtpDraftLayers + c.stepOverheadMs * 0.1);
    }
    const roof = Math.max(memMs, computeMs);
    return {
      ms: roof + commMs + draftMs + c.stepOverheadMs,
      memMs,
      computeMs,
      commMs,
      draftMs,
      bound: memMs >= computeMs ? "memory" : "compute",
    };
  }

  /** Per-layer collectives: TP all-reduce (2 per layer) unless dp-attention; EP dispatch + combine per MoE layer. */
  private commMs(tokens: number): number {
    const { tp, ep, dpAttn } = this.par;
    if (tp === 1) return 0;
    const { model } = this;
    const bw = this.linkGBps * 1e9;
    const lat = this.linkLatencyUs / 1e3;
    let ms = 0;
    if (!dpAttn) {
      const bytes = tokens * model.hidden * 2 * ((2 * (tp - 1)) / tp);
      ms += model.layers * 2 * (lat + (bytes / bw) * 1e3);
    }
    if (model.moeLayers > 0 && (ep > 1 || dpAttn)) {
      // each token goes to activeExperts experts (fp8 dispatch, bf16 combine), a share (g-1)/g leaves
      // the GPU, g the GPUs of the expert-parallel group (this engine's ep, or the group spanning others)
      const g = this.expertShards > tp ? this.expertShards : ep;
      const perGpuTokens = tokens / tp;
      const bytes = perGpuTokens * model.activeExperts * model.hidden * 3 * ((g - 1) / g);
      ms += model.moeLayers * ((2 * this.epLatencyUs) / 1e3 + (bytes / (this.epGBps * 1e9)) * 1e3);
    }
    return ms;
  }

  /** Pipeline hops of one step: the step's hidden states sent from each stage to the next (bf16, a 1/tp slice per GPU). */
  hopMs(tokens: number): number {
    if (this.pp === 1) return 0;
    const bytes = (tokens * this.model.hidden * 2) / this.par.tp;
    return (this.pp - 1) * (this.hopLatencyUs / 1e3 + (bytes / (this.hopGBps * 1e9)) * 1e3);
  }

  /** Loading `tokens` tokens of KV back from host DRAM, every GPU over its own host link (emulated ms). */
  hostLoadMs(tokens: number): number {
    return ((tokens * this.kvBytesPerToken) / (this.c.hostLinkGBps * 1e9 * this.gpus)) * 1e3;
  }

  /** Prefill→decode KV transfer of `promptTokens` tokens (emulated ms). */
  kvTransferMs(promptTokens: number): number {
    const nvl = this.sku.scaleUpDomain > this.sku.gpusPerNode;
    const perGpu = nvl ? this.sku.scaleUpGBps : this.c.scaleOutGBps;
    const bw = perGpu * 1e9 * this.gpus;
    return this.c.kvTransferBaseMs + ((promptTokens * this.kvBytesPerToken) / bw) * 1e3;
  }
}
