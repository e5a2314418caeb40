/**
 * Recipe settings stored with a deployment (`Deployment.recipeSettings`): which presets to store
 * for a deployment when its plan is made, and the stored ones read back as recipe options when it
 * launches. Stored settings win over presets read from disk, so an attempt launches what was planned.
 */
import {
  agenticClientFromEnv,
  type Deployment,
  type LoadPoint,
  RecipeError,
  type RecipeSettings,
} from "@benchfleet/shared";
import type { z } from "zod";
import type { RecipeOptions } from "./context.js";
import { RecipePreset } from "./preset.js";
import { findScriptPreset, ScriptPreset, scriptClientEnv, scriptFacts } from "./script-preset.js";

/** The presets that apply to `d` (a matching script preset replaces the family preset); none: undefined. */
export function recipeSettingsFor(
  d: Deployment,
  opts: Pick<RecipeOptions, "presets" | "scripts">,
): RecipeSettings | undefined {
  const script = findScriptPreset(opts.scripts, d);
  if (script) return { script };
  const family = opts.presets?.[d.modelPrefix];
  return family ? { family } : undefined;
}

/** stored presets already parsed (the deployments of one plan share one stored object per preset) */
const parsed = new WeakMap<object, unknown>();

function parseStored<T extends z.ZodType>(schema: T, value: object, where: string): z.infer<T> {
  if (parsed.has(value)) return parsed.get(value) as z.infer<T>;
  const r = schema.safeParse(value);
  if (r.success) {
    parsed.set(value, r.data);
    return r.data;
  }
  const issue = r.error.issues[0]!;
  throw new RecipeError(`${where}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

/** The recipe options of a launch: the deployment's stored settings when it carries them, else `opts`. */
export function launchOptions(d: Deployment, opts: RecipeOptions): RecipeOptions {
  const s = d.recipeSettings;
  if (!s) return opts;
  const where = `${d.configKey}: the recipe settings stored with the deployment`;
  const family = s.family ? parseStored(RecipePreset, s.family, `${where} (family preset)`) : undefined;
  const script = s.script ? parseStored(ScriptPreset, s.script, `${where} (script preset)`) : undefined;
  return { ...opts, presets: family ? { [d.modelPrefix]: family } : {}, scripts: script ? [script] : [] };
}

/**
 * The load-point settings of the lab's client that a deployment's stored script preset gives
 * (`client:`): the chat template where the script passes `--use-chat-template` or `--dsv4`, with
 * `--dsv4` DeepSeek-V4's encoding, and `--backend openai-chat` where the script sends chat requests. With lab prompts the load generator renders them as the lab's
 * client does; with token-id prompts they go to the chat endpoint and the server applies its template.
 */
export function clientPointSettings(
  d: Deployment,
): Pick<LoadPoint, "useChatTemplate" | "chatEncoding" | "clientBackend"> {
  const stored = d.recipeSettings?.script;
  if (!stored) return {};
  const script = parseStored(ScriptPreset, stored, `${d.configKey}: the script preset stored with the deployment`);
  const c = script.client;
  const backend = c?.backend ? { clientBackend: c.backend } : {};
  if (c?.dsv4) return { useChatTemplate: true, chatEncoding: "dsv4", ...backend };
  return c?.["use-chat-template"] ? { useChatTemplate: true, ...backend } : backend;
}

/**
 * The lab client's settings an agentic deployment's stored script preset gives the point at
 * concurrency `conc` (`client-env`: the AIPERF_* / AGENTIC_* the script exports for build_replay_cmd);
 * none where the script sets none of them.
 */
export function agenticClientPointSettings(d: Deployment, conc: number): Pick<LoadPoint, "agenticClient"> {
  const stored = d.recipeSettings?.script;
  if (!stored || d.scenario !== "agentic-coding") return {};
  const script = parseStored(ScriptPreset, stored, `${d.configKey}: the script preset stored with the deployment`);
  const { options } = agenticClientFromEnv(scriptClientEnv(script, scriptFacts(d, conc)));
  return Object.keys(options).length ? { agenticClient: options } : {};
}
