/**
 * The GSM8K data (MIT, see configs/datasets/gsm8k/LICENSE): `test.jsonl` (1319 problems) and
 * `fewshot.jsonl` (8 exemplars from the train split), one `{question, answer}` object per line;
 * the answer's last line is `#### <number>`. Read from disk only; nothing is downloaded.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@benchfleet/shared";
import { z } from "zod";
import { configsDir } from "../configs-dir.js";

export const Gsm8kItem = z.object({
  question: z.string().min(1),
  answer: z.string().regex(/####\s*\S+/, "answer must end with '#### <number>'"),
});
export type Gsm8kItem = z.infer<typeof Gsm8kItem>;

export interface Gsm8kData {
  dir: string;
  test: Gsm8kItem[];
  fewshot: Gsm8kItem[];
}

/** configs/datasets/gsm8k of this repository */
export const DEFAULT_GSM8K_DIR = join(configsDir(), "datasets", "gsm8k");

export function readJsonl(file: string): Gsm8kItem[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([
      {
        file,
        line: 1,
        col: 1,
        path: "",
        message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      },
    ]);
  }
  const out: Gsm8kItem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new ConfigError([
        { file, line: i + 1, col: 1, path: "", message: `invalid JSON: ${(err as Error).message}` },
      ]);
    }
    const r = Gsm8kItem.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ConfigError([{ file, line: i + 1, col: 1, path: issue.path.join("."), message: issue.message }]);
    }
    out.push(r.data);
  }
  if (out.length === 0)
    throw new ConfigError([{ file, line: 1, col: 1, path: "", message: "no problems in this file" }]);
  return out;
}

/** `path`: a directory holding test.jsonl (+ fewshot.jsonl), or a test .jsonl file (few-shot from the default dir) */
export function loadGsm8k(path: string = DEFAULT_GSM8K_DIR): Gsm8kData {
  if (existsSync(path) && statSync(path).isFile()) {
    return { dir: path, test: readJsonl(path), fewshot: readJsonl(join(DEFAULT_GSM8K_DIR, "fewshot.jsonl")) };
  }
  return { dir: path, test: readJsonl(join(path, "test.jsonl")), fewshot: readJsonl(join(path, "fewshot.jsonl")) };
}
