/** One listener on the signal, however many requests wait on it. */
import { describe, expect, it } from "vitest";
import { whenAborted } from "./abort-fanout.js";

describe("abort fan-out", () => {
  it("calls every waiter still subscribed once, in order, behind one listener", () => {
    const ac = new AbortController();
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      listeners++;
      add(...a);
    }) as typeof add;
    const calls: number[] = [];
    const offs = Array.from({ length: 1000 }, (_, i) => whenAborted(ac.signal, () => calls.push(i)));
    expect(listeners).toBe(1);
    for (let i = 0; i < 1000; i += 2) offs[i]!();
    ac.abort();
    ac.abort();
    expect(calls).toEqual(Array.from({ length: 500 }, (_, k) => 2 * k + 1));
  });

  it("signals are independent; unsubscribing after the abort is harmless", () => {
    const a = new AbortController();
    const b = new AbortController();
    const seen: string[] = [];
    const offA = whenAborted(a.signal, () => seen.push("a"));
    whenAborted(b.signal, () => seen.push("b"));
    a.abort();
    offA();
    expect(seen).toEqual(["a"]);
    b.abort();
    expect(seen).toEqual(["a", "b"]);
  });
});
