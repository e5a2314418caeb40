import { describe, expect, it } from "vitest";
import { type SseEvent, SseParser } from "./sse-parser.js";

function parseAll(chunks: Array<string | Uint8Array>): { events: SseEvent[]; leftover: boolean } {
  const p = new SseParser();
  const events: SseEvent[] = [];
  for (const c of chunks) p.push(c, (e) => events.push(e));
  return { events, leftover: p.end() };
}

const STREAM =
  'data: {"a":1}\n\n' +
  ": keep-alive comment\n\n" +
  "event: error\ndata: line one\ndata: line two\n\n" +
  'data:{"b":"é—✓"}\r\n\r\n' +
  "data: cr only\r\r" +
  "data: [DONE]\n\n";

const EXPECTED: SseEvent[] = [
  { event: "message", data: '{"a":1}' },
  { event: "error", data: "line one\nline two" },
  { event: "message", data: '{"b":"é—✓"}' },
  { event: "message", data: "cr only" },
  { event: "message", data: "[DONE]" },
];

describe("SseParser", () => {
  it("parses LF, CRLF and CR line endings, multi-line data, comments and event types", () => {
    expect(parseAll([STREAM]).events).toEqual(EXPECTED);
  });

  it("gives the same events whatever the byte boundaries (UTF-8 characters and CRLF split too)", () => {
    const bytes = Buffer.from(STREAM, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const { events } = parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(events, `cut at byte ${cut}`).toEqual(EXPECTED);
    }
    const single = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(parseAll(single).events).toEqual(EXPECTED);
  });

  it("reads LF-only streams the same from whole-event bytes as from any other cut", () => {
    const lf =
      'data: {"a":1}\n\n' +
      'data:{"b":"é—✓"}\n\n' +
      ": keep-alive\n\n" +
      "event: error\ndata: one\ndata: two\n\n" +
      "data:\n\n" +
      "data: [DONE]\n\n";
    const expected: SseEvent[] = [
      { event: "message", data: '{"a":1}' },
      { event: "message", data: '{"b":"é—✓"}' },
      { event: "error", data: "one\ntwo" },
      { event: "message", data: "" },
      { event: "message", data: "[DONE]" },
    ];
    const bytes = Buffer.from(lf, "utf8");
    expect(parseAll([bytes]).events).toEqual(expected);
    expect(parseAll([new Uint8Array(bytes)]).events).toEqual(expected);
    for (let cut = 1; cut < bytes.length; cut++)
      for (const cut2 of [cut + 1, cut + 7, bytes.length])
        expect(
          parseAll([bytes.subarray(0, cut), bytes.subarray(cut, cut2), bytes.subarray(cut2)]).events,
          `cut at bytes ${cut} and ${cut2}`,
        ).toEqual(expected);
    // a character split across chunks, then whole events
    const e = Buffer.from("é");
    expect(
      parseAll([
        Buffer.from("data: "),
        e.subarray(0, 1),
        Buffer.concat([e.subarray(1), Buffer.from("\n\ndata: x\n\n")]),
      ]).events,
    ).toEqual([
      { event: "message", data: "é" },
      { event: "message", data: "x" },
    ]);
  });

  it("discards and reports an event not terminated by a blank line", () => {
    const r = parseAll(['data: {"a":1}\n\ndata: {"partial":']);
    expect(r.events).toEqual([{ event: "message", data: '{"a":1}' }]);
    expect(r.leftover).toBe(true);
    expect(parseAll(["data: x\n\n"]).leftover).toBe(false);
  });

  it("emits every event of one chunk synchronously during push", () => {
    const p = new SseParser();
    const seen: string[] = [];
    p.push("data: 1\n\ndata: 2\n\ndata: 3\n\n", (e) => seen.push(e.data));
    expect(seen).toEqual(["1", "2", "3"]);
  });
});
