/** A chat body around messages serialised elsewhere is byte for byte the body built whole. */
import { describe, expect, it } from "vitest";
import { type BodyOptions, buildBody, type ChatMessage, chatBodyAround } from "./request-body.js";

const msgs: ChatMessage[] = [
  { role: "user", content: 'say "hi" \\ é 漢 \u0001' },
  { role: "assistant", content: "hi" },
  { role: "user", content: "again" },
];

describe("chat bodies around serialised messages", () => {
  const base: BodyOptions = {
    model: "m",
    endpoint: "/v1/chat/completions",
    outputLen: 7,
    exactOutput: true,
    stream: true,
  };
  it.each([
    ["exact output, streamed", base],
    ["free output, not streamed", { ...base, exactOutput: false, stream: false }],
    ["with an extra body", { ...base, extraBody: { temperature: 0.7, max_tokens: 3, nested: { a: [1] } } }],
  ])("%s", (_, o) => {
    const a = chatBodyAround(o)!;
    expect(a.head + JSON.stringify(msgs) + a.tail).toBe(buildBody(o, msgs));
    expect(JSON.parse(a.head + JSON.stringify(msgs) + a.tail).messages).toEqual(msgs);
  });

  it("none where the extra body sets the messages", () => {
    expect(chatBodyAround({ ...base, extraBody: { messages: [] } })).toBeUndefined();
  });
});
