/**
 * The srt-slurm refs the lab's runner scripts (InferenceX `runners/launch_<runner>.sh`) clone, read
 * from the scripts themselves: every `git clone …srt-slurm…` with the `git checkout REF` that follows
 * it, and the bash `if`/`elif`/`else` conditions it sits under (framework, model prefix, precision,
 * agentic and power lanes). Pure over the script's text.
 */

export interface RunnerPin {
  /** 1-based line of the `git clone` */
  line: number;
  /** the repository cloned, e.g. `NVIDIA/srt-slurm` */
  repo: string;
  /** the branch, tag or commit checked out; `(default branch)` when the script names none */
  ref: string;
  /** the enclosing conditions, outermost first, as the script writes them (`else` for an else branch) */
  when: string[];
}

const DEFAULT_REF = "(default branch)";

interface Frame {
  /** the condition of the branch being read */
  current: string;
}

/** Strips `if`/`elif`, `; then`, `[[ ]]`, `$` and quotes from a bash condition. */
function conditionText(raw: string): string {
  return raw
    .replace(/^\s*(el)?if\s+/, "")
    .replace(/;\s*then\s*$/, "")
    .replace(/\[\[\s*|\s*\]\]/g, "")
    .replace(/"/g, "")
    .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}?/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

function repoOf(url: string): string {
  const m = /([^/\s"]+\/[^/\s"]+?)(\.git)?$/.exec(url.replace(/"/g, ""));
  return m?.[1] ?? url;
}

/** Every srt-slurm clone in one runner script, with the ref it ends on and its conditions. */
export function runnerPins(text: string): RunnerPin[] {
  const lines = text.split("\n");
  const stack: Frame[] = [];
  const pins: RunnerPin[] = [];
  let open: { pin: RunnerPin; depth: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? "").trim();
    if (line.startsWith("#") || line === "") continue;
    const startsIf = /^(el)?if\s/.test(line);
    if (startsIf) {
      // a condition continued over several lines ends at `then`
      while (!/;\s*then\s*$/.test(line) && i + 1 < lines.length) line = `${line} ${(lines[++i] ?? "").trim()}`;
      const cond = conditionText(line);
      if (line.startsWith("elif")) {
        const top = stack[stack.length - 1];
        if (top) top.current = cond;
      } else stack.push({ current: cond });
      if (open && open.depth >= stack.length) open = undefined;
      continue;
    }
    if (/^else\b/.test(line)) {
      const top = stack[stack.length - 1];
      if (top) top.current = "else";
      if (open && open.depth >= stack.length) open = undefined;
      continue;
    }
    if (/^fi\b/.test(line)) {
      stack.pop();
      if (open && open.depth > stack.length) open = undefined;
      continue;
    }
    const clone = /\bgit clone\b(.*)$/.exec(line);
    if (clone && /srt[-_]slurm|SRT_SLURM/i.test(clone[1] ?? "")) {
      const args = clone[1] ?? "";
      const url = /(https?:\/\/\S+|"\$[A-Z_]+"|\$[A-Z_]+)/.exec(args)?.[1] ?? args.trim();
      const branch = /--branch\s+(\S+)/.exec(args)?.[1];
      const pin: RunnerPin = {
        line: i + 1,
        repo: url.startsWith("http") ? repoOf(url) : url.replace(/"/g, ""),
        ref: branch ?? DEFAULT_REF,
        when: stack.map((f) => f.current),
      };
      pins.push(pin);
      open = { pin, depth: stack.length };
      continue;
    }
    const checkout = /\bgit checkout\s+(?!-)("?[^\s|;&]+"?)/.exec(line);
    if (checkout && open) open.pin.ref = (checkout[1] ?? "").replace(/"/g, "");
  }
  return pins;
}
