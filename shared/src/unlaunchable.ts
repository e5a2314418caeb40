/**
 * A planned deployment that no engine recipe can launch, with the recipe's reason: found before a
 * sweep is queued (recipes/src/launchable.ts) and shown by `plan`, `sweep start`, the plan
 * API and the dashboard's plan preview.
 */
export interface Unlaunchable {
  fingerprint: string;
  configKey: string;
  framework: string;
  sku: string;
  reason: string;
}

/** One entry per distinct reason, in first-seen order, with the config keys it affects. */
export function unlaunchableByReason(list: readonly Unlaunchable[]): Array<{ reason: string; configKeys: string[] }> {
  const m = new Map<string, Set<string>>();
  for (const u of list) m.set(u.reason, (m.get(u.reason) ?? new Set()).add(u.configKey));
  return [...m].map(([reason, keys]) => ({ reason, configKeys: [...keys] }));
}
