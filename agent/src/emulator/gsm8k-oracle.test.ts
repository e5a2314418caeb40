import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadGsm8k, readJsonl } from "../eval/gsm8k-dataset.js";
import { chatMessages, completionPrompt } from "../eval/gsm8k-prompt.js";
import { Gsm8kOracle, normaliseQuestion, toOracleItems } from "./gsm8k-oracle.js";
import { configsDir } from "./model-spec.js";
import { countTextTokens, planOutput, splitTokens } from "./tokens.js";

const file = `${configsDir()}datasets/gsm8k/test.jsonl`;
const items = toOracleItems(readJsonl(file));
const fewshot = readFileSync(`${configsDir()}datasets/gsm8k/fewshot.jsonl`, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { question: string; answer: string });

/** lm-eval-harness style 5-shot completions prompt */
function fiveShot(question: string): string {
  const shots = fewshot.slice(0, 5).map((s) => `Question: ${s.question}\nAnswer: ${s.answer}`);
  return `${shots.join("\n\n")}\n\nQuestion: ${question}\nAnswer:`;
}

const strict = (text: string) => /#### (-?[0-9.,]+)/.exec(text)?.[1];

describe("GSM8K oracle", () => {
  it("loads the whole test split with clean solutions", () => {
    expect(items.length).toBe(1319);
    expect(items[0]!.final).toBe("18");
    expect(items[0]!.solution).not.toContain("<<");
    expect(items[0]!.solution.endsWith("#### 18")).toBe(true);
  });

  it("finds the last question of a 5-shot completions prompt and of a chat turn", () => {
    const o = new Gsm8kOracle(items, 1, 0);
    const it5 = items[42]!;
    expect(o.find(fiveShot(it5.question))?.index).toBe(42);
    // chat: the question alone, with curly quotes and odd spacing normalised away
    const q = items[0]!.question.replace(/'/g, "\u2019").replace(/ /g, "  ");
    expect(o.find(q)?.index).toBe(0);
    expect(o.find(`Q: ${items[7]!.question}\nA:`)?.index).toBe(7);
    expect(o.find("Tell me a story about a duck.")).toBeUndefined();
    expect(normaliseQuestion("  A\u2019b \n C ")).toBe("a'b c");
  });

  it("answers correctly with probability `accuracy`, deterministically per question and seed", () => {
    for (const p of [0.95, 0.6]) {
      const o = new Gsm8kOracle(items, p, 7);
      let right = 0;
      for (const it of items) {
        const a = o.answer(it.question)!;
        const got = strict(a.text);
        expect(got).toBe(a.answered);
        if (got === it.final) right++;
        expect(a.correct).toBe(got === it.final);
      }
      expect(right / items.length).toBeGreaterThan(p - 0.035);
      expect(right / items.length).toBeLessThan(p + 0.035);
    }
    const a = new Gsm8kOracle(items, 0.5, 1);
    const b = new Gsm8kOracle(items, 0.5, 1);
    const c = new Gsm8kOracle(items, 0.5, 2);
    const pattern = (o: Gsm8kOracle) => items.map((it) => (o.isCorrect(it) ? 1 : 0)).join("");
    expect(pattern(a)).toBe(pattern(b));
    expect(pattern(a)).not.toBe(pattern(c));
    // a wrong answer is a different number, also for the flexible (last number) extraction
    const never = new Gsm8kOracle(items, 0, 0).answer(items[0]!.question)!;
    expect(never.correct).toBe(false);
    expect(never.answered).not.toBe("18");
    expect(never.text.match(/-?\d[\d,]*(\.\d+)?/g)!.at(-1)).toBe(never.answered);
  });
});

describe("word tokens and the planned output", () => {
  it("counts one token per whitespace-separated word and splits text losslessly", () => {
    expect(countTextTokens("  hello   world\nagain ")).toBe(3);
    expect(countTextTokens("")).toBe(0);
    const t = "Janet sells 16 - 3 = 9.\n#### 9";
    expect(splitTokens(t).join("")).toBe(t);
    expect(splitTokens(t).length).toBe(countTextTokens(t));
  });

  it("honours max_tokens, min_tokens, ignore_eos and stop strings", () => {
    const answer = "one two three #### 4";
    expect(planOutput({ answer, maxTokens: 100, minTokens: 0, ignoreEos: false, stop: [] })).toEqual({
      tokens: ["one", " two", " three", " ####", " 4"],
      finishReason: "stop",
    });
    const capped = planOutput({ answer, maxTokens: 3, minTokens: 0, ignoreEos: false, stop: [] });
    expect(capped.tokens.length).toBe(3);
    expect(capped.finishReason).toBe("length");
    const min = planOutput({ answer, maxTokens: 100, minTokens: 9, ignoreEos: false, stop: [] });
    expect(min.tokens.length).toBe(9);
    expect(min.finishReason).toBe("stop");
    const ign = planOutput({ answer, maxTokens: 40, minTokens: 0, ignoreEos: true, stop: [] });
    expect(ign.tokens.length).toBe(40);
    expect(ign.finishReason).toBe("length");
    expect(ign.tokens.slice(5).join("")).not.toMatch(/\d|:/);
    const generic = planOutput({ maxTokens: 7, minTokens: 0, ignoreEos: false, stop: [] });
    expect(generic.tokens.length).toBe(7);
    const stopped = planOutput({ answer, maxTokens: 100, minTokens: 0, ignoreEos: false, stop: [" ####"] });
    expect(stopped).toEqual({ tokens: ["one", " two", " three"], finishReason: "stop" });
  });
});

describe("GSM8K oracle and the eval's own prompt", () => {
  it("finds the question when an instruction line follows it (the eval's completion and chat prompts)", () => {
    const data = loadGsm8k();
    const oracle = Gsm8kOracle.load(1, 1);
    const item = data.test[3]!;
    const shots = data.fewshot.slice(0, 5);
    expect(oracle.find(completionPrompt(item, shots))?.index).toBe(3);
    const chat = chatMessages(item, shots);
    expect(oracle.find(chat[chat.length - 1]!.content)?.index).toBe(3);
  });
});
