/** Checks of CLI option values that must hold before a long run starts (so a typo never costs the run). */
import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CliError } from "@benchfleet/shared";

/** `v` must be an http(s) URL: `localhost:8000` parses as a URL of scheme `localhost:`, so the scheme is checked too. */
export function checkHttpUrl(flag: string, v: string): void {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new CliError(`${flag} is not a URL: "${v}" (expected http://host:port)`, 2);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new CliError(`${flag} must be an http:// or https:// URL, got "${v}"`, 2);
}

/** `path` must be writable as a file: not a folder, and in a folder that exists and may be written. */
export function checkWritableFile(flag: string, path: string): void {
  const abs = resolve(path);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new CliError(`${flag} ${path} is a folder; give a file name`, 2);
  const dir = dirname(abs);
  const dst = statSync(dir, { throwIfNoEntry: false });
  if (!dst?.isDirectory()) throw new CliError(`${flag} ${path}: folder ${dir} does not exist`, 2);
  try {
    accessSync(st ? abs : dir, constants.W_OK);
  } catch {
    throw new CliError(`${flag} ${path}: not writable`, 2);
  }
}

/** commander collector of a repeatable directory option (`--srt-slurm A --srt-slurm B`), in order. */
export function collectDirs(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
