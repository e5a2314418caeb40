/** Human-readable rendering of a launch plan (for `benchfleet recipe show` and logs). Pure. */
import type { HealthCheck, LaunchPlan } from "@benchfleet/shared";

const STAGES = ["infra", "workers", "router/frontend"];

/** Quotes an argv element for display as a shell word. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv as shell text, breaking before each `--flag` so long commands stay readable. */
export function formatArgv(argv: string[], indent: string): string {
  const lines: string[] = [];
  let cur: string[] = [];
  for (const a of argv) {
    if (a.startsWith("--") && cur.length) {
      lines.push(cur.join(" "));
      cur = [];
    }
    cur.push(shellWord(a));
  }
  if (cur.length) lines.push(cur.join(" "));
  return lines.map((l, i) => (i === 0 ? l : `${indent}  ${l}`)).join(" \\\n");
}

export function formatHealth(h: HealthCheck): string {
  switch (h.kind) {
    case "http": {
      let s = `GET ${h.url} → ${h.expectStatus ?? 200}`;
      if (h.expectInstances)
        s += ` with instances ${h.expectInstances.map((e) => `${e.count}×${e.components.join("|")}/${e.endpoint}`).join(", ")}`;
      if (h.expectRouterWorkers)
        s += ` with router workers ≥ ${h.expectRouterWorkers.prefill} prefill, ≥ ${h.expectRouterWorkers.decode} decode/regular`;
      if (h.bodyIncludes) s += ` body includes ${h.bodyIncludes.join(", ")}`;
      return s;
    }
    case "canary":
      return `canary POST ${h.url}${h.path ?? ""} model=${h.model} max_tokens=1 → 200`;
    case "tcp":
      return `tcp ${h.host}:${h.port} accepts`;
    case "log-line":
      return `log line /${h.pattern}/`;
  }
}

export function formatLaunchPlan(plan: LaunchPlan): string {
  const out: string[] = [];
  out.push(
    `framework ${plan.framework}; endpoint ${plan.endpoint.baseUrl} (${plan.endpoint.api}, model ${plan.endpoint.model})`,
  );
  for (const n of plan.nodes) {
    out.push(`node ${n.rank}: ${n.hostname} (${n.ip})${n.rank === 0 ? " — leader" : ""}`);
    for (const p of n.processes) {
      const ports = Object.entries(p.ports)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      out.push(
        `  [${STAGES[p.stage] ?? `stage ${p.stage}`}] ${p.name}  role=${p.role}${p.gpus.length ? `  gpus=${p.gpus.join(",")}` : ""}${ports ? `  ports ${ports}` : ""}${p.ownSession ? "  own-session" : ""}`,
      );
      if (p.image) out.push(`    image: ${p.image}`);
      if (p.mpi)
        out.push(
          `    mpi: node ${p.mpi.nodeIndex + 1}/${p.mpi.nodes} of job ${p.mpi.job}, ${p.mpi.tasksPerNode} ranks per node`,
        );
      out.push(`    argv:  ${formatArgv(p.argv, "          ")}`);
      const env = Object.entries(p.env);
      if (env.length) out.push(`    env:   ${env.map(([k, v]) => `${k}=${shellWord(v)}`).join("\n           ")}`);
      for (const h of p.health) out.push(`    ready: ${formatHealth(h)}`);
      for (const f of p.files) {
        out.push(`    file ${f.path}:`);
        for (const line of f.content.replace(/\n$/, "").split("\n")) out.push(`      | ${line}`);
      }
    }
  }
  out.push(`gang ready: ${plan.gangHealth.map(formatHealth).join("; then ") || "(process checks only)"}`);
  for (const note of plan.notes) out.push(`note: ${note}`);
  return `${out.join("\n")}\n`;
}
