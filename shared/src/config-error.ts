/**
 * ConfigError: a problem in a user-supplied file, located as `file:line:col` with the key path
 * and what was expected. CLIs print `message` and exit non-zero; never a stack trace.
 */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** dotted key path, e.g. `dsr1-fp4-b200-sglang.scenarios.fixed-seq-len[0].search-space[1].tp` */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
