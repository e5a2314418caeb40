/**
 * One `--srt-slurm` entry as a tree of files: a directory as it is on disk, or `DIR@REF`, the tree
 * of a git ref (branch, tag, commit) of the checkout DIR is in, read with `git ls-tree` / `git show`
 * without touching the checkout's work tree. The lab's runner scripts clone srt-slurm at a pinned
 * branch or tag per framework and model (InferenceX runners/launch_*.sh); `DIR@REF` reads a recipe
 * that exists only there from one checkout holding every ref.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";

export interface SrtTree {
  /** as given: `DIR` or `DIR@REF` */
  label: string;
  /** how a file of the tree is named in messages and stored as the recipe's path */
  where: (rel: string) => string;
  /** the file's text, or undefined when the tree has no such file */
  read: (rel: string) => string | undefined;
}

/** `DIR@REF` → [DIR, REF]; a plain directory → [DIR] (an existing directory whose name holds `@` too). */
export function splitTreeSpec(spec: string): [string] | [string, string] {
  const at = spec.lastIndexOf("@");
  if (at <= 0 || at === spec.length - 1 || isDir(spec)) return [spec];
  return [spec.slice(0, at), spec.slice(at + 1)];
}

/** Opens one entry; a missing directory or an unknown ref is an error now, not per row. */
export function openSrtTree(spec: string): SrtTree {
  const [dir, ref] = splitTreeSpec(spec);
  if (!isDir(dir)) throw new Error(`--srt-slurm ${spec}: no such directory${ref ? ` ${dir}` : ""}`);
  if (ref === undefined)
    return {
      label: spec,
      where: (rel) => join(dir, rel),
      read: (rel) => {
        const file = join(dir, rel);
        return existsSync(file) && statSync(file).isFile() ? readFileSync(file, "utf8") : undefined;
      },
    };
  const git = (args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  let files: Set<string>;
  try {
    git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    files = new Set(git(["ls-tree", "-r", "--name-only", ref]).split("\n").filter(Boolean));
  } catch {
    throw new Error(`--srt-slurm ${spec}: ${ref} is not a branch, tag or commit of the git checkout ${dir}`);
  }
  return {
    label: spec,
    where: (rel) => `${spec}:${rel}`,
    read: (rel) => {
      const path = posix.normalize(rel);
      return files.has(path) ? git(["show", `${ref}:./${path}`]) : undefined;
    },
  };
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
