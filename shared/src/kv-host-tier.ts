/**
 * The host-DRAM KV tier each engine process of a point's launch was started with, as its argv,
 * environment and config files set it (e.g. an srt-slurm recipe's `--hicache-size 16` per rank),
 * stored with the point beside the deployment's DRAM budget, which is only the ceiling the
 * reference lab's formula allows. `hostTierBrief` sums it up for the agentic frontier. Pure.
 */
import { z } from "zod";

export const KvHostTier = z
  .object({
    /** the launch plan's process name and role (worker, prefill, decode) */
    process: z.string(),
    role: z.string(),
    /**
     * none: no KV in host DRAM; gb: `gb` GB (decimal) for the process's GPUs; ratio: `ratio` × its
     * GPU KV pool; external: a store outside the process; unread: the launch's settings could not be
     * read (`setting` says why)
     */
    kind: z.enum(["none", "gb", "ratio", "external", "unread"]),
    gb: z.number().nonnegative().optional(),
    ratio: z.number().nonnegative().optional(),
    /** the setting it was read from, e.g. `--hicache-size 16 (GB per rank) × 8 ranks` */
    setting: z.string().optional(),
  })
  .strict();
export type KvHostTier = z.infer<typeof KvHostTier>;

/** The launched host tier of a point in a line: what the frontier, CLI and dashboard show. */
export interface HostTierBrief {
  /** the largest tier one engine process was launched with, GB (null: none sized in GB) */
  gbPerProcess: number | null;
  /** GB over every engine process of the launch */
  totalGb: number;
  /** short form for a table cell: `128 GB`, `2× GPU pool`, `external`, `none` */
  label: string;
  /** per role: processes, size and the setting, e.g. `prefill ×2: 128 GB (--hicache-size 16 (GB per rank) × 8 ranks)` */
  detail: string;
}

const round = (gb: number) => Math.round(gb * 10) / 10;

function tierText(t: KvHostTier): string {
  switch (t.kind) {
    case "gb":
      return `${round(t.gb ?? 0)} GB`;
    case "ratio":
      return `${t.ratio ?? 0}× GPU pool`;
    default:
      return t.kind;
  }
}

/** null when the point carries no launch record (imported, measured by the lab's own script) */
export function hostTierBrief(tiers: readonly KvHostTier[] | undefined): HostTierBrief | null {
  if (!tiers?.length) return null;
  const sized = tiers.filter((t) => t.kind === "gb");
  const largest = sized.reduce<KvHostTier | undefined>((m, t) => (m && (m.gb ?? 0) >= (t.gb ?? 0) ? m : t), undefined);
  const totalGb = round(sized.reduce((s, t) => s + (t.gb ?? 0), 0));
  const kinds = new Set(tiers.map((t) => t.kind));
  const other = tiers.find((t) => t.kind !== "none" && t.kind !== "gb");
  const label = largest ? tierText(largest) : other ? tierText(other) : [...kinds][0]!;
  const byRole = new Map<string, KvHostTier[]>();
  for (const t of tiers) byRole.set(t.role, [...(byRole.get(t.role) ?? []), t]);
  const detail = [...byRole.entries()]
    .map(([role, ts]) => {
      const texts = [
        ...new Set(ts.map((t) => (t.setting && t.kind !== "none" ? `${tierText(t)} (${t.setting})` : tierText(t)))),
      ];
      return `${role} ×${ts.length}: ${texts.join(", ")}`;
    })
    .join("; ");
  return { gbPerProcess: largest ? round(largest.gb ?? 0) : null, totalGb, label, detail };
}
