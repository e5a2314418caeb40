/**
 * Against the reference lab's real checkout (skipped without it): every option a single-node
 * fixed-seq-len script passes to its benchmark client is one benchfleet's load generator reproduces
 * or takes as its default (docs/single-node-launches.md, "The lab's client conventions"), no script
 * gives its client a tokenizer or tokenizer mode of its own, and DeepSeek-V4's encoding of a user
 * turn is what the lab's own encoding_dsv4.py renders (run with python3). BENCHFLEET_LAB_CHECKOUTS
 * is a directory holding an `InferenceX` checkout.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dsv4Encoding } from "@benchfleet/agent";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const SCRIPTS = join(IX, "benchmarks", "single_node", "fixed_seq_len");

/** run_benchmark_serving options and what benchfleet does with them */
const HANDLED = new Set([
  // the point and the server
  "--model",
  "--port",
  "--input-len",
  "--output-len",
  "--max-concurrency",
  "--random-range-ratio",
  "--num-prompts",
  "--backend",
  "--endpoint",
  // the lab's client conventions: chat template, DeepSeek-V4's encoding
  "--use-chat-template",
  "--dsv4",
  // the lab's bookkeeping (result files, the server to watch, remote code for the tokenizer)
  "--result-filename",
  "--result-dir",
  "--bench-serving-dir",
  "--server-pid",
  "--trust-remote-code",
]);

/** every run_benchmark_serving call of a script, as its option names and the values after them */
function clientCalls(text: string): string[][] {
  const out: string[][] = [];
  for (const m of text.matchAll(/^[ \t]*run_benchmark_serving((?:[^\n]*\\\n)*[^\n]*)/gm))
    out.push(m[1]!.replace(/\\\n/g, " ").trim().split(/\s+/));
  return out;
}

describe.skipIf(!LAB || !existsSync(SCRIPTS))("the lab's client options in its single-node scripts", () => {
  it("every option is one benchfleet reproduces; no script sets a client tokenizer or tokenizer mode", () => {
    const unknown: string[] = [];
    const backends = new Map<string, number>();
    let calls = 0;
    for (const f of readdirSync(SCRIPTS).filter((n) => n.endsWith(".sh"))) {
      for (const words of clientCalls(readFileSync(join(SCRIPTS, f), "utf8"))) {
        calls++;
        words.forEach((w, i) => {
          if (!w.startsWith("--")) return;
          if (!HANDLED.has(w)) unknown.push(`${f}: ${w}`);
          if (w === "--backend") backends.set(words[i + 1]!, (backends.get(words[i + 1]!) ?? 0) + 1);
        });
      }
    }
    process.stdout.write(
      `lab client calls: ${calls}; backends ${[...backends].map(([b, n]) => `${b} ${n}`).join(", ")}\n`,
    );
    expect(calls).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it.skipIf(!hasPython())(
    "DeepSeek-V4's encoding of one user turn is the lab's encoding_dsv4.py in thinking mode",
    () => {
      const texts = ["a", "hello world", " leading space, ünïcödé and <think> inside\nnew line"];
      const rendered = JSON.parse(
        execFileSync(
          "python3",
          [
            "-c",
            "import json, sys; from encoding_dsv4 import encode_messages as e; " +
              "print(json.dumps([e([{'role': 'user', 'content': t}], thinking_mode='thinking') for t in json.loads(sys.argv[1])]))",
            JSON.stringify(texts),
          ],
          { cwd: join(IX, "utils", "bench_serving"), encoding: "utf8" },
        ),
      ) as string[];
      expect(texts.map(dsv4Encoding)).toEqual(rendered);
    },
  );
});

function hasPython(): boolean {
  try {
    execFileSync("python3", ["-c", "pass"]);
    return true;
  } catch {
    return false;
  }
}
