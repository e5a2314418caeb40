/**
 * srtctl's renderings, reproduced exactly (pure): an engine config → CLI flags
 * (backends/sglang.py `_config_to_cli_args`: keys sorted, `_` → `-`, `true` a bare flag, `false`
 * and null omitted, a list as the flag followed by each item), frontend args
 * (frontends/dynamo.py `get_frontend_args_list`: file order), `{node}` / `{node_id}` templating of
 * role environments (cli/mixins/worker_stage.py), and the engine config files TensorRT-LLM workers
 * read (backends/trtllm.py: PyYAML `safe_dump`); JSON flag values as Python's json.dumps writes them.
 */
import { stringify } from "yaml";

/** Python's str() of a YAML value as srtctl passes it on the command line. */
export function pyStr(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
  if (v === null || v === undefined) return "None";
  return pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(", ")}}`;
  return pyStr(v);
}

export function configToCliArgs(config: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(config).sort()) {
    const value = config[key];
    const flag = `--${key.replace(/_/g, "-")}`;
    if (typeof value === "boolean") {
      if (value) out.push(flag);
    } else if (Array.isArray(value)) {
      out.push(flag, ...value.map(pyStr));
    } else if (value !== null && value !== undefined) out.push(flag, pyStr(value));
  }
  return out;
}

export function frontendArgs(args: Record<string, unknown> | null | undefined): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(args ?? {})) {
    if (value === true) out.push(`--${key}`);
    else if (value !== false && value !== null && value !== undefined) out.push(`--${key}`, pyStr(value));
  }
  return out;
}

export function templateEnv(
  env: Record<string, string>,
  vars: { node: string; node_id: number },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    out[k] = v.replace(/\{(node|node_id)\}/g, (_m, name: "node" | "node_id") => String(vars[name]));
  }
  return out;
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** PyYAML `safe_dump` of a config: keys sorted, block style, list items at their key's indent. */
export function pyYamlDump(value: Record<string, unknown>): string {
  return stringify(value, { sortMapEntries: true, indentSeq: false, lineWidth: 0, singleQuote: true });
}

/** Python's json.dumps with its default separators (", " and ": "). */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJsonDumps(x)}`)
      .join(", ")}}`;
  return JSON.stringify(v);
}
