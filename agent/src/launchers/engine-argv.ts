/**
 * The engine's own argv inside a process's argv. A launch plan wraps an engine in a shell when it
 * runs a preamble first (srtctl's setup script and dynamo install: `bash -c '… && exec ENGINE ARGS'`);
 * the command after the last `exec` is the engine's, split into words as a POSIX shell splits them.
 * Pure.
 */

/** value of the first flag present (`--tp 8` or `--tp=8`) */
export function flagValue(argv: string[], names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n && i + 1 < argv.length) return argv[i + 1];
      if (argv[i].startsWith(`${n}=`)) return argv[i].slice(n.length + 1);
    }
  }
  return undefined;
}

/** words of a shell command line: single and double quotes, backslash escapes; no expansion */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' at column ${i + 1} of a shell command`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = "";
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1]!)) i++;
        s += line[i];
      }
      if (i >= line.length) throw new Error('unterminated " in a shell command');
      word = (word ?? "") + s;
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** the engine's argv: `argv` itself, or the command a `bash -c` / `sh -c` wrapper execs last */
export function engineArgv(argv: readonly string[]): string[] {
  if (argv.length >= 3 && /^(\/bin\/|\/usr\/bin\/)?(ba)?sh$/.test(argv[0]!) && argv[1] === "-c") {
    const script = argv[2]!;
    const at = script.lastIndexOf("exec ");
    if (at >= 0 && (at === 0 || /[\s;&|(]/.test(script[at - 1]!))) return shellWords(script.slice(at + 5));
  }
  return [...argv];
}
