/**
 * Lab prompt construction speed (agent/src/loadgen/lab-prompts.ts): how long the load generator
 * takes to build a point's prompts the lab's way before sending, and how long one encode of a built
 * prompt takes (what the emulated engine pays per request with --tokenizer).
 * `pnpm bench:lab-prompts [1024,8192] [--prompts N] [--tokenizer DIR] [--template]` — DIR holds
 * tokenizer.json and tokenizer_config.json (default: the emulated model's, configs/tokenizers/emulated).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { labPrompt, loadModelTokenizer, templateTokens } from "@benchfleet/agent";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const isls = (args[0] && !args[0].startsWith("--") ? args[0] : "1024,8192").split(",").map(Number);
const n = Number(flag("--prompts") ?? 64);
const dir = flag("--tokenizer") ?? fileURLToPath(new URL("../configs/tokenizers/emulated", import.meta.url));
const tok = loadModelTokenizer(dir);
const template = args.includes("--template") ? tok.chatTemplate : undefined;
if (args.includes("--template") && !template) throw new Error(`${dir}: no chat template`);
const t = templateTokens(tok, template);

console.log(`tokenizer ${dir} (vocab ${tok.vocabSize}), template ${template ? `${t} tokens` : "none"}, ${n} prompts`);
for (const isl of isls) {
  let unsettled = 0;
  let tokens = 0;
  const encodeMs: number[] = [];
  const t0 = performance.now();
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    // offsets spread over the vocabulary as the lab's uniform draws are
    const p = labPrompt(
      tok,
      1,
      { index: i, offset: Math.floor(((i * 0.618034) % 1) * tok.vocabSize) },
      isl - t,
      template,
    );
    if (p.promptTokens !== isl) unsettled++;
    tokens += p.promptTokens;
    texts.push(p.text);
  }
  const buildMs = performance.now() - t0;
  for (const text of texts) {
    const e0 = performance.now();
    tok.encode(text);
    encodeMs.push(performance.now() - e0);
  }
  encodeMs.sort((a, b) => a - b);
  console.log(
    `ISL ${isl}: build ${(buildMs / n).toFixed(1)} ms/prompt (${((tokens / buildMs) * 1000).toFixed(0)} prompt tokens/s), ` +
      `unsettled ${unsettled}/${n}; one encode median ${encodeMs[Math.floor(n / 2)]!.toFixed(1)} ms, ` +
      `p90 ${encodeMs[Math.floor(n * 0.9)]!.toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(1)}`,
  );
}
