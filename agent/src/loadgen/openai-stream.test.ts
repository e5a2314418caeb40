import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { interpretEvent, StreamInterpreter } from "./openai-stream.js";

const j = (o: unknown) => JSON.stringify(o);

describe("interpretEvent", () => {
  it("reads completion text and chat content, reasoning included", () => {
    expect(interpretEvent("message", j({ choices: [{ text: " hi" }] }))).toEqual({ kind: "token", text: " hi" });
    expect(interpretEvent("message", j({ choices: [{ delta: { content: "x" } }] }))).toEqual({
      kind: "token",
      text: "x",
    });
    expect(interpretEvent("message", j({ choices: [{ delta: { reasoning_content: "think" } }] }))).toEqual({
      kind: "token",
      text: "think",
    });
  });

  it("does not count a role-only or empty delta as a token, unless the rule is 'any' (vLLM chat)", () => {
    const role = j({ choices: [{ delta: { role: "assistant", content: "" } }] });
    expect(interpretEvent("message", role).kind).toBe("ignore");
    expect(interpretEvent("message", role, "any").kind).toBe("token");
  });

  it("separates the usage trailer, [DONE] and errors", () => {
    expect(interpretEvent("message", j({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 7 } }))).toEqual({
      kind: "usage",
      usage: { promptTokens: 5, completionTokens: 7 },
    });
    expect(interpretEvent("message", "[DONE]").kind).toBe("done");
    expect(interpretEvent("message", j({ error: { message: "boom" } }))).toEqual({ kind: "error", message: "boom" });
    expect(interpretEvent("error", "server exploded")).toEqual({ kind: "error", message: "server exploded" });
    expect(interpretEvent("message", "{not json").kind).toBe("error");
  });
});

describe("StreamInterpreter (template fast path)", () => {
  const textArb = fc.oneof(
    fc.constantFrom("", " tok", "\\", '"', "a\nb", "\u2028", "é", "😀", "\\u00e9", " the"),
    fc.string({ maxLength: 6 }),
  );
  /** undefined 5 times in 6 */
  const rarely = <T>(a: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
  const usageArb = rarely(fc.record({ prompt_tokens: fc.nat(99), completion_tokens: fc.nat(99) }));
  /** the shape of a server's chunks: completions or chat, reasoning, usage, errors, extra fields */
  const shapeArb = fc.record({
    chat: fc.boolean(),
    reasoning: rarely(textArb),
    usage: usageArb,
    error: rarely(fc.constant({ message: "boom" })),
    empty: rarely(fc.constant(true)),
    id: fc.constantFrom("cmpl-1", "cmpl-2"),
    extra: rarely(fc.record({ text: textArb })),
  });
  type Shape = typeof shapeArb extends fc.Arbitrary<infer T> ? T : never;
  const chunkOf = (c: Shape, text: string) => {
    const choice = c.chat
      ? {
          index: 0,
          delta: c.reasoning === undefined ? { content: text } : { reasoning_content: c.reasoning, content: text },
        }
      : { index: 0, text, logprobs: null, finish_reason: null };
    const o: Record<string, unknown> = { id: c.id, object: "chunk", model: "m", choices: c.empty ? [] : [choice] };
    if (c.usage) o.usage = c.usage;
    if (c.error) o.error = c.error;
    if (c.extra) o.meta = c.extra;
    return JSON.stringify(o);
  };
  /** raw damage: a chunk cut short, or a quote / backslash / newline / brace put somewhere */
  const damage = (s: string, at: number, ins: string) =>
    s.slice(0, at % (s.length + 1)) + ins + s.slice(at % (s.length + 1));
  const damageArb = rarely(fc.tuple(fc.nat(), fc.constantFrom('"', "\\", "\n", "", "}", "raw")));
  const RAW = ['"', 'a","x":"b', "\\", "a\\", "\n", "\\u12", '\\"', "\\\\"];
  /** a stream: mostly chunks of one shape (so the template applies), some of another, some damaged or odd */
  const streamArb = fc
    .tuple(shapeArb, fc.array(fc.tuple(rarely(shapeArb), textArb, damageArb), { maxLength: 12 }))
    .map(([shape, items]) =>
      items.map(([other, text, dmg]) => {
        // a raw (unescaped) text: where JSON would need an escape, the chunk is broken or changes shape
        if (dmg?.[1] === "raw") return chunkOf(other ?? shape, "\u0001").replace("\\u0001", RAW[dmg[0] % RAW.length]!);
        const d = chunkOf(other ?? shape, text);
        return dmg ? damage(d, dmg[0], dmg[1]) : d;
      }),
    );
  const oddArb = fc.constantFrom("[DONE]", "{not json", "null", "[]");
  const datasArb = fc.tuple(streamArb, fc.option(oddArb, { nil: undefined }), fc.nat()).map(([xs, odd, at]) => {
    if (odd !== undefined) xs.splice(at % (xs.length + 1), 0, odd);
    return xs;
  });

  it("gives exactly interpretEvent's result for every chunk of every stream", () => {
    fc.assert(
      fc.property(datasArb, fc.constantFrom("content" as const, "any" as const), (datas, rule) => {
        const s = new StreamInterpreter(rule);
        for (const d of datas) expect(s.interpret("message", d)).toEqual(interpretEvent("message", d, rule));
      }),
      { numRuns: 3000 },
    );
  });

  it("takes the fast path for a server's usual token chunks and still reads the trailer", () => {
    const chunk = (t: string) => j({ id: "c", choices: [{ index: 0, text: t, logprobs: null, finish_reason: null }] });
    const s = new StreamInterpreter();
    expect(s.interpret("message", chunk(" a"))).toEqual({ kind: "token", text: " a" });
    const parse = vi.spyOn(JSON, "parse");
    try {
      expect(s.interpret("message", chunk(" b"))).toEqual({ kind: "token", text: " b" });
      expect(s.interpret("message", chunk("c d"))).toEqual({ kind: "token", text: "c d" });
      expect(parse).not.toHaveBeenCalled();
      expect(s.interpret("message", chunk("\\"))).toEqual({ kind: "token", text: "\\" });
      expect(parse).toHaveBeenCalledTimes(1); // the escaped literal alone
    } finally {
      parse.mockRestore();
    }
    expect(s.interpret("message", j({ id: "c", choices: [], usage: { completion_tokens: 3 } }))).toEqual({
      kind: "usage",
      usage: { completionTokens: 3 },
    });
    expect(s.interpret("message", chunk(""))).toEqual({ kind: "ignore" });
  });
});
