/**
 * Per-model GSM8K thresholds (configs/eval-thresholds.yaml): `default` and `models` keyed by model
 * prefix (the master config's `model-prefix`, e.g. dsr1) or model id. A configuration passes when
 * every exact_match metric (strict and flexible) is at least its threshold, as the reference lab's
 * validate_scores.py checks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadYaml } from "@benchfleet/shared";
import { z } from "zod";
import { configsDir } from "../configs-dir.js";

const Score = z.number().min(0).max(1);
export const EvalThresholds = z.object({ default: Score, models: z.record(z.string(), Score).default({}) }).strict();
export type EvalThresholds = z.infer<typeof EvalThresholds>;

export const DEFAULT_THRESHOLDS_FILE = join(configsDir(), "eval-thresholds.yaml");

export function loadThresholds(file: string = DEFAULT_THRESHOLDS_FILE): EvalThresholds {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([
      {
        file,
        line: 1,
        col: 1,
        path: "",
        message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      },
    ]);
  }
  return loadYaml(text, file, EvalThresholds).value;
}

/** threshold for a model: by prefix, then model id, then its last path part (case-insensitive) */
export function thresholdFor(t: EvalThresholds, model: string, modelPrefix?: string): number {
  const keys = new Map(Object.entries(t.models).map(([k, v]) => [k.toLowerCase(), v]));
  for (const cand of [modelPrefix, model, model.split("/").pop()]) {
    if (cand && keys.has(cand.toLowerCase())) return keys.get(cand.toLowerCase())!;
  }
  return t.default;
}

export function passes(strict: number, flexible: number, threshold: number): boolean {
  return strict >= threshold && flexible >= threshold;
}
