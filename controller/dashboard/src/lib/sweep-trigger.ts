/** One line saying what started a sweep (plan, keys, changelog range, SKUs). Pure. */
import type { SweepSummary } from "@benchfleet/shared/browser";

export function sweepTrigger(s: Pick<SweepSummary, "source">): string {
  const src = s.source ?? { kind: "?" };
  const parts: string[] = [src.kind];
  if (src.changelog) parts.push(`${src.changelog.base ?? "?"}..${src.changelog.head ?? "worktree"}`);
  if (src.keys?.length) parts.push(`keys ${src.keys.join(",")}`);
  if (src.skus?.length) parts.push(`skus ${src.skus.join(",")}`);
  return parts.join(" · ");
}
