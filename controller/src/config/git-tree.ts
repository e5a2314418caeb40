/**
 * The tree of a git ref of a checkout (an `--srt-slurm DIR@REF` entry, see recipes' srt-tree.ts),
 * read with `git ls-tree` and `git show` without touching the checkout's work tree.
 */
import { execFileSync } from "node:child_process";
import { posix } from "node:path";
import type { GitTreeOpener } from "@benchfleet/recipes";

export const gitTree: GitTreeOpener = (dir, ref, spec) => {
  const git = (args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  let files: Set<string>;
  try {
    git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    // paths relative to DIR, as `git show REF:./path` resolves them
    files = new Set(git(["ls-tree", "-r", "--name-only", ref]).split("\n").filter(Boolean));
  } catch {
    throw new Error(`--srt-slurm ${spec}: ${ref} is not a branch, tag or commit of the git checkout ${dir}`);
  }
  return {
    where: (rel) => `${spec}:${rel}`,
    read: (rel) => {
      const path = posix.normalize(rel);
      return files.has(path) ? git(["show", `${ref}:./${path}`]) : undefined;
    },
  };
};
