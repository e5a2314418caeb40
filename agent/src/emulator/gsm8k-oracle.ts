/**
 * GSM8K oracle: recognises a GSM8K test question as the last question of a prompt (normalised
 * text → sha256 lookup) and answers it with the reference solution ending in `#### N`, correct
 * with probability `accuracy` (deterministic per question and seed), otherwise a wrong number.
 *
 * The question is looked for, in order: after the last `Question:` (up to `Answer:`), after the
 * last `Q:` (up to `A:`), the last paragraph, the whole text. That covers the lm-eval-harness
 * 5-shot completions prompt and chat prompts whose last user turn holds the question.
 */
import { readJsonl } from "../eval/gsm8k-dataset.js";
import { hashUnit, sha256Hex } from "./deterministic.js";
import { configsDir } from "./model-spec.js";

export interface Gsm8kItem {
  index: number;
  question: string;
  /** reference solution without calculator annotations, ending with `#### N` */
  solution: string;
  final: string;
}

export interface OracleAnswer {
  item: Gsm8kItem;
  correct: boolean;
  /** the response text */
  text: string;
  /** the number after `####` in the response */
  answered: string;
}

export function normaliseQuestion(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\u2018\u2019\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201f\u2033]/g, '"')
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

export class Gsm8kOracle {
  private readonly byHash = new Map<string, Gsm8kItem>();
  readonly size: number;

  constructor(
    items: Gsm8kItem[],
    readonly accuracy: number,
    readonly seed: number,
  ) {
    if (!(accuracy >= 0 && accuracy <= 1)) throw new Error(`accuracy must be within [0, 1], got ${accuracy}`);
    for (const it of items) this.byHash.set(sha256Hex(normaliseQuestion(it.question)), it);
    this.size = items.length;
  }

  static load(accuracy: number, seed: number, file = `${configsDir()}datasets/gsm8k/test.jsonl`): Gsm8kOracle {
    return new Gsm8kOracle(toOracleItems(readJsonl(file)), accuracy, seed);
  }

  /** The test item whose question ends the prompt, if any. */
  find(prompt: string): Gsm8kItem | undefined {
    for (const cand of candidates(prompt)) {
      const hit = this.byHash.get(sha256Hex(normaliseQuestion(cand)));
      if (hit) return hit;
    }
    return undefined;
  }

  /** Whether this question is answered correctly under this seed (deterministic). */
  isCorrect(item: Gsm8kItem): boolean {
    return hashUnit("gsm8k", this.seed, item.index) < this.accuracy;
  }

  answer(prompt: string): OracleAnswer | undefined {
    const item = this.find(prompt);
    if (!item) return undefined;
    const correct = this.isCorrect(item);
    if (correct) return { item, correct, text: item.solution, answered: item.final };
    const wrong = wrongNumber(item.final, hashUnit("gsm8k-wrong", this.seed, item.index));
    const body = item.solution.slice(0, item.solution.lastIndexOf("####"));
    return { item, correct, text: `${body}#### ${wrong}`, answered: wrong };
  }
}

/** Oracle items from GSM8K rows (read and validated by the eval's dataset loader). */
export function toOracleItems(rows: Array<{ question: string; answer: string }>): Gsm8kItem[] {
  return rows.map((row, index) => {
    const m = /####\s*(.+)\s*$/.exec(row.answer);
    const final = (m?.[1] ?? "").trim();
    const body = m ? row.answer.slice(0, m.index) : row.answer;
    const solution = `${body.replace(/<<[^>]*>>/g, "").trimEnd()}\n#### ${final}`;
    return { index, question: row.question, solution, final };
  });
}

function wrongNumber(final: string, u: number): string {
  const n = Number(final.replace(/,/g, ""));
  const delta = 1 + Math.floor(u * 9);
  if (!Number.isFinite(n)) return String(delta * 7);
  return String(n + delta);
}

function* candidates(prompt: string): Generator<string> {
  const stripTail = (s: string, label: RegExp) => s.replace(label, "");
  const q = prompt.toLowerCase().lastIndexOf("question:");
  if (q >= 0) {
    const body = stripTail(prompt.slice(q + "question:".length), /\n?\s*answer:[\s\S]*$/i);
    yield body;
    // evals append instructions after the question ("End your response with …"): drop trailing lines
    const lines = body.trim().split("\n");
    for (let n = lines.length - 1; n >= 1; n--) yield lines.slice(0, n).join("\n");
  }
  const q2 = prompt.lastIndexOf("Q:");
  if (q2 >= 0) yield stripTail(prompt.slice(q2 + 2), /\n?\s*A:[\s\S]*$/);
  const paras = prompt.trim().split(/\n\s*\n/);
  const last = paras[paras.length - 1];
  if (last !== undefined) yield stripTail(last, /\n?\s*(answer|a):\s*$/i);
  yield prompt;
}
