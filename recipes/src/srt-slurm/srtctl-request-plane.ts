/**
 * srtctl's dynamo request plane where a recipe leaves `dynamo.request_plane` out, read from the
 * srt-slurm checkout's sources (srtctl-defaults.ts):
 *
 * - `request_plane: str = "<plane>"` in `src/srtctl/core/schema.py` (DynamoConfig): that default
 *   (`tcp` from srt-slurm #255 on; `nats` on the sa-submission-q2-2026 branch);
 * - no `request_plane` field, and the worker stage exporting `"DYN_REQUEST_PLANE": "nats"`: NATS is
 *   the only request plane that srtctl has (a98738de, c1fb6989, the aflowers/* branches).
 *
 * Pure over the tree.
 */
import type { SrtTree } from "./srt-tree.js";

const SCHEMA = "src/srtctl/core/schema.py";
const WORKER_STAGE = "src/srtctl/cli/mixins/worker_stage.py";

type RequestPlane = "tcp" | "nats" | "http";

/** The checkout's default request plane; undefined where the tree holds no srtctl schema. */
export function srtctlRequestPlane(tree: SrtTree): RequestPlane | undefined {
  const schema = tree.read(SCHEMA);
  if (schema === undefined) return undefined;
  const declared = /^\s*request_plane:\s*str\s*=\s*"(tcp|nats|http)"/m.exec(schema)?.[1];
  if (declared === "tcp" || declared === "nats" || declared === "http") return declared;
  if (/request_plane/.test(schema)) return undefined;
  const fixed = /"DYN_REQUEST_PLANE":\s*"(tcp|nats|http)"/.exec(tree.read(WORKER_STAGE) ?? "")?.[1];
  return fixed === "tcp" || fixed === "nats" || fixed === "http" ? fixed : undefined;
}
