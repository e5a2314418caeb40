import { describe, expect, it } from "vitest";
import { interpretEvent } from "./openai-stream.js";

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
