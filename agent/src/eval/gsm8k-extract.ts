/**
 * Answer extraction and matching exactly as lm-evaluation-harness's gsm8k task does it:
 *  - strict-match: regex `#### (\-?[0-9\.\,]+)`, first match (several `####`: the first wins);
 *  - flexible-extract: regex `(-?[$0-9.,]{2,})|(-?[0-9]+)`, last match;
 *  - no match → "[invalid]";
 *  - exact_match after removing `,`, `$`, everything up to the last `#### `, and one trailing `.`,
 *    case-insensitive, on both prediction and reference (so "1,234." matches "1234", but "18.00"
 *    does not match "18": lm-eval compares strings, and so do we, to keep the lab's thresholds).
 */
export const INVALID = "[invalid]";

export function extractStrict(text: string): string {
  const m = /#### (-?[0-9.,]+)/.exec(text);
  return m ? m[1] : INVALID;
}

export function extractFlexible(text: string): string {
  let last: string | undefined;
  for (const m of text.matchAll(/(-?[$0-9.,]{2,})|(-?[0-9]+)/g)) last = m[1] ?? m[2];
  return last ?? INVALID;
}

export function normalize(s: string): string {
  return s
    .replace(/,/g, "")
    .replace(/\$/g, "")
    .replace(/^[\s\S]*#### /, "")
    .replace(/\.$/, "")
    .toLowerCase();
}

/** the reference number of a GSM8K answer (text after the last `#### `) */
export function referenceAnswer(answer: string): string {
  return normalize(answer).trim();
}

export function isMatch(extracted: string, reference: string): boolean {
  return normalize(extracted) === reference;
}
