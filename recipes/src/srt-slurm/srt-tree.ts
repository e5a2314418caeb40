/**
 * One `--srt-slurm` entry as a tree of files: a directory as it is on disk (recipe-dirs.ts), or
 * `DIR@REF`, the tree of a git ref (branch, tag, commit) of the checkout DIR, read without touching
 * the checkout's work tree. The lab's runner scripts clone srt-slurm at a branch or tag pinned per
 * framework and model (InferenceX runners/launch_*.sh); `DIR@REF` reads a recipe that exists only
 * there from one checkout holding every ref. Reading a ref runs git: the caller supplies it
 * (GitTreeOpener; the controller's gitTree), recipes stay pure.
 */

export interface SrtTree {
  /** how a file of the tree is named in messages and stored as the recipe's path */
  where: (rel: string) => string;
  /** the file's text, or undefined when the tree has no such file */
  read: (rel: string) => string | undefined;
}

/** Opens the tree of `ref` in the git checkout `dir` (`spec` as given, for messages); throws when it cannot. */
export type GitTreeOpener = (dir: string, ref: string, spec: string) => SrtTree;

/** `DIR@REF` → [DIR, REF] at the last `@`; no `@` (or nothing on a side of it) → [spec]. */
export function splitTreeSpec(spec: string): [string] | [string, string] {
  const at = spec.lastIndexOf("@");
  if (at <= 0 || at === spec.length - 1) return [spec];
  return [spec.slice(0, at), spec.slice(at + 1)];
}
