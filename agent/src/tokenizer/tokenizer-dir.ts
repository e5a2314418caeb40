/**
 * Where a served model's tokenizer lies on this node: the model path itself when it is a directory
 * holding `tokenizer.json`, else its snapshot in a Hugging Face hub cache
 * (`models--<org>--<name>/snapshots/<revision>/`, the revision `refs/main` names first). The caches
 * looked in: the agent's `--hf-cache`, then `HF_HUB_CACHE`, `HF_HOME/hub`, `~/.cache/huggingface/hub`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

export function hubCaches(hfCache: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (hfCache) out.push(hfCache);
  if (env.HF_HUB_CACHE) out.push(env.HF_HUB_CACHE);
  if (env.HF_HOME) out.push(join(env.HF_HOME, "hub"));
  out.push(join(homedir(), ".cache", "huggingface", "hub"));
  return [...new Set(out)];
}

export function findTokenizerDir(model: string, caches: readonly string[]): string | undefined {
  if (isAbsolute(model)) return existsSync(join(model, "tokenizer.json")) ? model : undefined;
  const repo = `models--${model.split("/").join("--")}`;
  for (const cache of caches) {
    const snapshots = join(cache, repo, "snapshots");
    if (!existsSync(snapshots)) continue;
    const main = readRef(join(cache, repo, "refs", "main"));
    const revisions = [...(main ? [main] : []), ...readdirSync(snapshots).sort()];
    for (const rev of revisions) {
      const dir = join(snapshots, rev);
      if (existsSync(join(dir, "tokenizer.json"))) return dir;
    }
  }
  return undefined;
}

function readRef(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
