/**
 * The configs/ folder the agent reads (models.yaml, eval-thresholds.yaml, datasets/): under
 * $BENCHFLEET_ROOT when set (the single-file agent sets it to its own folder, where the bundle
 * ships configs/), else the repository's.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function configsDir(): string {
  const root = process.env.BENCHFLEET_ROOT;
  return root ? join(resolve(root), "configs") : fileURLToPath(new URL("../../configs", import.meta.url));
}
