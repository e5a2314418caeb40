/**
 * A reader of the Prometheus text exposition format (what `/metrics` of vLLM, SGLang and the
 * emulated engine serve): each sample's name, labels and value. Pure. A line it cannot read is a
 * `PrometheusTextError` naming the line and column.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class PrometheusTextError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(`line ${line}:${column}: ${message}`);
  }
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** A sample value; NaN and Inf in any letter case, as Prometheus reads them (prom-client writes `Nan`). */
function parseValue(s: string): number {
  const l = s.toLowerCase();
  if (l === "+inf" || l === "inf") return Number.POSITIVE_INFINITY;
  if (l === "-inf") return Number.NEGATIVE_INFINITY;
  if (l === "nan") return Number.NaN;
  return s.trim() === "" ? Number.NaN : Number(s);
}

/** Every sample of a text exposition, in order. Comments (`# HELP`, `# TYPE`) and blank lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const lineNo = i + 1;
    let col = raw.length - line.length;
    const name = NAME.exec(line)?.[0];
    if (!name)
      throw new PrometheusTextError(
        lineNo,
        col + 1,
        `expected a metric name, found ${JSON.stringify(line.slice(0, 20))}`,
      );
    let rest = line.slice(name.length);
    col += name.length;
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      rest = rest.slice(1);
      col++;
      for (;;) {
        const ws = rest.length - rest.trimStart().length;
        rest = rest.slice(ws);
        col += ws;
        if (rest.startsWith("}")) {
          rest = rest.slice(1);
          col++;
          break;
        }
        const ln = LABEL_NAME.exec(rest)?.[0];
        if (!ln || rest[ln.length] !== "=" || rest[ln.length + 1] !== '"')
          throw new PrometheusTextError(lineNo, col + 1, `expected label="value" in ${name}`);
        rest = rest.slice(ln.length + 2);
        col += ln.length + 2;
        let value = "";
        let j = 0;
        for (; j < rest.length && rest[j] !== '"'; j++) {
          if (rest[j] === "\\" && j + 1 < rest.length) {
            const c = rest[++j];
            value += c === "n" ? "\n" : c;
          } else value += rest[j];
        }
        if (j >= rest.length)
          throw new PrometheusTextError(lineNo, col + 1, `unterminated value of label ${ln} in ${name}`);
        labels[ln] = value;
        rest = rest.slice(j + 1);
        col += j + 1;
        if (rest.startsWith(",")) {
          rest = rest.slice(1);
          col++;
        } else if (!rest.trimStart().startsWith("}"))
          throw new PrometheusTextError(lineNo, col + 1, `expected , or } after label ${ln} in ${name}`);
      }
    }
    const fields = rest.trim().split(/\s+/);
    const value = parseValue(fields[0] ?? "");
    if (fields.length === 0 || fields.length > 2 || (Number.isNaN(value) && fields[0]?.toLowerCase() !== "nan"))
      throw new PrometheusTextError(
        lineNo,
        col + 1,
        `expected a number after ${name}, found ${JSON.stringify(rest.trim().slice(0, 30))}`,
      );
    out.push({ name, labels, value });
  }
  return out;
}

/** one metric's samples over all its label sets (a deployment's ranks, a model's engines) */
export interface NameTotal {
  sum: number;
  count: number;
}

/**
 * name → the sum and number of its samples over all label sets; `splits` (name → label) also keeps
 * that name's samples per value of the label, under `name{label="value"}`
 */
export function totalsByName(
  samples: readonly PromSample[],
  splits: Readonly<Record<string, string>> = {},
): Map<string, NameTotal> {
  const m = new Map<string, NameTotal>();
  const add = (key: string, value: number) => {
    const t = m.get(key) ?? { sum: 0, count: 0 };
    t.sum += value;
    t.count++;
    m.set(key, t);
  };
  for (const s of samples) {
    add(s.name, s.value);
    const label = splits[s.name];
    const v = label === undefined ? undefined : s.labels[label];
    if (v !== undefined) add(`${s.name}{${label}=${JSON.stringify(v)}}`, s.value);
  }
  return m;
}
