/**
 * What every recipe needs, computed once per plan (pure): the layout of the gang, ports, the
 * concurrency that sizes batch-related flags, per-role parallelism, and the shared layers
 * (preset, additional-settings, overrides) that the layering merges around a recipe's own.
 */
import {
  type Deployment,
  type HealthCheck,
  type LoadPoint,
  type Placement,
  type ProcessSpec,
  RecipeError,
} from "@benchfleet/shared";
import {
  additionalSettingsLayer,
  type EngineRole,
  type Layer,
  overridesLayer,
  type PoolDirectives,
  type Role,
  refuseFixedOverrides,
  resolveSettings,
  type Settings,
} from "./layering.js";
import { type GangLayout, layoutFor, type WorkerLayout, type WorkerRank } from "./placement.js";
import { checkPortBase, type SharedPorts, type SlotPorts, sharedPorts, slotPorts } from "./ports.js";
import { type Engine, presetLayer, type RecipePreset } from "./preset.js";
import {
  dependsOnConc,
  findScriptPreset,
  type ScriptPreset,
  scriptFacts,
  scriptLayer,
  scriptSettingsKey,
} from "./script-preset.js";

export interface RecipeOptions {
  /** model-family presets keyed by model prefix (see preset-loader.ts) */
  presets?: Record<string, RecipePreset>;
  /** per-script presets (see script-preset-loader.ts); a matching one replaces the family preset */
  scripts?: readonly ScriptPreset[];
  /** launch for this one point (launch-per-point): concurrency-tied flags use it */
  point?: LoadPoint;
}

export interface Parallelism {
  tp: number;
  ep: number;
  pp: number;
  dpAttn: boolean;
  dcpSize: number;
  pcpSize: number;
  numWorker: number;
}

/** Concurrency used when a deployment has no load point (eval only): GSM8K's client concurrency. */
export const EVAL_ONLY_CONCURRENCY = 64;

export const STAGE = { infra: 0, workers: 1, front: 2 } as const;

export class RecipeContext {
  readonly layout: GangLayout;
  readonly vendor: "nvidia" | "amd";
  readonly shared: SharedPorts;
  readonly preset: RecipePreset | undefined;
  readonly moe: boolean;
  /** largest concurrency the launch serves */
  readonly conc: number;
  readonly notes: string[] = [];
  readonly presetLayer: Layer;
  /** the lab script's settings for this launch (single node), above the entry */
  readonly scriptLayer: Layer;
  readonly script: ScriptPreset | undefined;
  readonly additional: Layer[] = [];
  readonly overrides: Layer;
  readonly directives: Partial<Record<"prefill" | "decode", PoolDirectives>> = {};

  constructor(
    readonly d: Deployment,
    readonly placement: Placement,
    readonly engine: Engine,
    opts: RecipeOptions = {},
  ) {
    checkPortBase(placement.portBase);
    this.layout = layoutFor(d, placement);
    this.vendor = placement.vendor;
    const skuVendor = d.sku.startsWith("mi") ? "amd" : "nvidia";
    if (skuVendor !== this.vendor)
      throw new RecipeError(`${d.configKey}: SKU ${d.sku} is ${skuVendor} but the placement says ${this.vendor}`);
    this.shared = sharedPorts(placement.portBase);
    this.script = findScriptPreset(opts.scripts, d);
    this.preset = this.script ? undefined : opts.presets?.[d.modelPrefix];
    if (this.script) this.notes.push(`settings of the lab script ${this.script.script}`);
    else if (!this.preset) this.notes.push(`no preset configs/recipes/${d.modelPrefix}.yaml: engine defaults only`);
    this.moe =
      this.preset?.moe ?? [this.par("prefill"), this.par("decode"), this.par("worker")].some((p) => p && p.ep > 1);
    if (opts.point) this.conc = opts.point.concurrency;
    else if (d.points.length) this.conc = Math.max(...d.points.map((p) => p.concurrency));
    else {
      this.conc = EVAL_ONLY_CONCURRENCY;
      this.notes.push(`no load point (eval only): batch flags sized for concurrency ${EVAL_ONLY_CONCURRENCY}`);
    }
    const roles = this.engineRoles();
    const factsAt = (conc: number) => scriptFacts(d, conc);
    this.scriptLayer = this.script
      ? scriptLayer(this.script, engine, factsAt(this.conc))
      : { name: "script:none", parts: [] };
    if (this.script && !opts.point && dependsOnConc(this.script)) {
      // a plan launches such points apart (launch-groups.ts); a deployment posted whole may not be
      const script = this.script;
      const own = scriptSettingsKey(script, engine, factsAt(this.conc));
      if (d.points.some((p) => scriptSettingsKey(script, engine, factsAt(p.concurrency)) !== own))
        this.notes.push(`${script.script} sets values by CONC: this launch is sized for concurrency ${this.conc}`);
    }
    this.presetLayer = presetLayer(this.preset, engine, {
      vendor: this.vendor,
      sku: d.sku,
      precision: d.precision,
      framework: d.framework,
      dpAttn: Object.fromEntries(roles.map((r) => [r, this.par(r)!.dpAttn])),
      expertParallel: Object.fromEntries(roles.map((r) => [r, this.par(r)!.ep > 1])),
      spec: d.specDecoding,
      disagg: this.isDisagg,
      ...(d.kvP2pTransfer ? { kvTransfer: d.kvP2pTransfer } : {}),
    });
    for (const pool of ["prefill", "decode"] as const) {
      const spec = d[pool];
      if (!spec) continue;
      const { layer, directives } = additionalSettingsLayer(pool, spec.additionalSettings, `${d.configKey} ${pool}`);
      this.additional.push(layer);
      this.directives[pool] = directives;
      const poolNodes = new Set(this.workers(pool).flatMap((w) => w.ranks.map((r) => r.nodeRank))).size;
      if (directives.nodes !== undefined && directives.nodes !== poolNodes) {
        throw new RecipeError(
          `${d.configKey}: ${pool.toUpperCase()}_NODES=${directives.nodes} but the ${pool} pool is placed on ${poolNodes} node(s)`,
        );
      }
      if (directives.configFile && !d.srtRecipe) {
        this.notes.push(
          `${pool}: CONFIG_FILE=${directives.configFile} (an srt-slurm recipe) is not read (give --srt-slurm DIR); flags come from the entry, preset and overrides`,
        );
      }
    }
    this.overrides = overridesLayer(d.recipeOverrides, `${d.configKey} benchfleet.recipe`);
  }

  get isDisagg(): boolean {
    return !!(this.d.prefill && this.d.decode);
  }

  /**
   * Prefill and decode workers both serve: false for aggregated serving, and for a disagg entry
   * whose decode pool has no worker (aggregated serving written as a prefill pool, the reference
   * configs' CONFIG_FILE agg-*.yaml): its prefill workers serve whole requests.
   */
  get servesDisagg(): boolean {
    return this.isDisagg && this.workers("decode").length > 0;
  }

  engineRoles(): EngineRole[] {
    return this.isDisagg ? ["prefill", "decode"] : ["worker"];
  }

  par(role: Role): Parallelism | undefined {
    const d = this.d;
    if (role === "prefill" || role === "decode") {
      const p = d[role];
      if (!p) return undefined;
      return {
        tp: p.tp,
        ep: p.ep,
        pp: p.pp,
        dpAttn: p.dpAttn,
        dcpSize: p.dcpSize,
        pcpSize: p.pcpSize,
        numWorker: p.numWorker,
      };
    }
    if (role === "worker" && !this.isDisagg) {
      return {
        tp: d.tp!,
        ep: d.ep ?? 1,
        pp: d.pp ?? 1,
        dpAttn: d.dpAttn ?? false,
        dcpSize: d.dcpSize ?? 1,
        pcpSize: d.pcpSize ?? 1,
        numWorker: 1,
      };
    }
    return undefined;
  }

  /** requests one worker of `role` must hold when the router spreads `conc` evenly */
  concPerWorker(role: EngineRole): number {
    return Math.ceil(this.conc / this.par(role)!.numWorker);
  }

  workers(pool?: EngineRole): WorkerLayout[] {
    return pool ? this.layout.workers.filter((w) => w.pool === pool) : this.layout.workers;
  }

  node(rank: number) {
    return this.placement.nodes[rank]!;
  }

  get leader() {
    return this.placement.nodes[0]!;
  }

  slot(rank: WorkerRank): SlotPorts {
    return slotPorts(this.placement.portBase, rank.slot);
  }

  /**
   * MTP steps of a role when spec decoding is MTP: the pool's *_MTP_SIZE, else the other pool's
   * (SGLang needs the same spec flags on both pools), else the preset's, else `engineDefault`.
   */
  mtpSteps(role: EngineRole, engineDefault: number): number | undefined {
    const d = this.d;
    const own = role === "worker" ? undefined : this.directives[role]?.mtpSteps;
    const other =
      role === "prefill"
        ? this.directives.decode?.mtpSteps
        : role === "decode"
          ? this.directives.prefill?.mtpSteps
          : undefined;
    const fromPools = own ?? other;
    if (d.specDecoding === "draft_model") {
      throw new RecipeError(
        `${d.configKey}: spec-decoding draft_model needs a draft model path, which the master config does not carry: not supported yet`,
      );
    }
    if (d.specDecoding === "none") {
      if (fromPools)
        throw new RecipeError(`${d.configKey}: ${role} MTP size ${fromPools} given but spec-decoding is none`);
      return undefined;
    }
    if (fromPools === 0) throw new RecipeError(`${d.configKey}: MTP size 0 contradicts spec-decoding: mtp`);
    return fromPools ?? this.preset?.["mtp-steps"] ?? engineDefault;
  }

  /**
   * Resolves a role: defaults ← preset ← entry ← script ← additional-settings ← overrides, then the fixed
   * (placement) layer; fixed flags come first in the rendered order.
   */
  resolve(role: Role, defaults: Layer, entry: Layer, fixed: Layer): Settings {
    refuseFixedOverrides(this.overrides, fixed, role, this.d.configKey);
    const rest = resolveSettings(
      [defaults, this.presetLayer, entry, this.scriptLayer, ...this.additional, this.overrides],
      role,
    );
    const top = resolveSettings([fixed], role);
    const flags = { ...top.flags };
    for (const [k, v] of Object.entries(rest.flags)) if (!(k in top.flags)) flags[k] = v;
    return { flags, env: { ...rest.env, ...top.env }, config: { ...rest.config, ...top.config } };
  }

  visibleDevices(gpus: number[]): Record<string, string> {
    const list = gpus.join(",");
    return this.vendor === "amd" ? { HIP_VISIBLE_DEVICES: list } : { CUDA_VISIBLE_DEVICES: list };
  }

  httpHealth(ip: string, port: number, path: string, extra: Partial<HealthCheck> = {}): HealthCheck {
    return { kind: "http", url: `http://${ip}:${port}${path}`, expectStatus: 200, ...extra };
  }

  canary(ip: string, port: number): HealthCheck {
    return { kind: "canary", url: `http://${ip}:${port}`, path: "/v1/completions", model: this.d.model };
  }

  /** aggregated serving: the first worker's rank-0 HTTP port is the endpoint, checked by a canary */
  aggregatedEndpoint(): { endpoint: { ip: string; port: number }; gangHealth: HealthCheck[] } {
    const r0 = this.workers("worker")[0]!.ranks[0]!;
    const ip = this.node(r0.nodeRank).ip;
    const port = this.slot(r0).http;
    return { endpoint: { ip, port }, gangHealth: [this.canary(ip, port)] };
  }
}

/** A process placed on a node. */
export interface PlacedProcess {
  nodeRank: number;
  spec: ProcessSpec;
}

export function envStrings(env: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== null) out[k] = v;
  return out;
}

export function processName(w: WorkerLayout, rankIndex: number): string {
  return `${w.pool}-${w.index}-rank${rankIndex}`;
}

export const fixedLayer = (parts: Layer["parts"]): Layer => ({ name: "placement", parts });
export const layer = (name: string, parts: Layer["parts"]): Layer => ({ name, parts });
