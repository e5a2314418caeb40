/**
 * Writes configs/tokenizers/emulated/{tokenizer.json,tokenizer_config.json}: the emulated model's
 * tokenizer, a small byte-level BPE (GPT-2's byte alphabet, merges learned greedily from the English
 * and made-up words below) with a chat template and special tokens of its own. No model's tokenizer is copied.
 * Run: pnpm exec tsx scripts/make-emulated-tokenizer.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CORPUS = (
  "the of and to in is for that on with as by at from this be are was it an or have not but which they one all " +
  "can more will has their were when been there had so some what time out up other about into than them then these " +
  "two may first new also any like only most over such after well way many very just make even where through back " +
  "used much before good people could would should work each state long made year same part world life place while " +
  "day both under last must between water never since house small again being large still group number point own " +
  "high often city local every hand because next open public order little great line early area case system form " +
  "home book game read light night power field study music river market paper table story money level color voice " +
  "party court space north south east west road room plan the model keeps writing plain words here so that each " +
  "piece counts as exactly one token and nothing in this stream looks like an answer or a stop marker while load is " +
  "measured Question Answer The A In It This 0 1 2 3 4 5 6 7 8 9 10 100 2026 . , ; : ! ? ( ) \n"
).split(" ");

/**
 * Made-up words of two to four syllables (a fixed sequence), so that the vocabulary is mostly whole
 * words as a real model's is: runs of consecutive ids then seldom cross the 256 single bytes.
 */
function madeUpWords(n: number): string[] {
  const cons = "bdfghklmnprstvz";
  const vows = "aeiou";
  const out: string[] = [];
  let x = 12345;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 8;
  };
  while (out.length < n) {
    let w = "";
    const syl = 2 + (next() % 3);
    for (let i = 0; i < syl; i++) w += cons[next() % cons.length]! + vows[next() % vows.length]!;
    out.push(w);
  }
  return out;
}
const MADE_UP = madeUpWords(6000);

const MERGES = 6000;

/** GPT-2's map from bytes to printable characters */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  const out = new Array<string>(256);
  bs.forEach((b, i) => {
    out[b] = String.fromCodePoint(cs[i]!);
  });
  return out;
}

const byteChars = bytesToUnicode();
const toSymbols = (w: string) => [...Buffer.from(w, "utf8")].map((b) => byteChars[b]!);

// words as they appear after the pre-tokenizer: with their leading space, counted by frequency
const words = new Map<string, number>();
for (const w of CORPUS) for (const form of [w, ` ${w}`]) words.set(form, (words.get(form) ?? 0) + 1);
// made-up words as running text has them: after a space
for (const w of MADE_UP) words.set(` ${w}`, (words.get(` ${w}`) ?? 0) + 1);
let seqs = [...words.entries()].map(([w, n]) => ({ syms: toSymbols(w), n }));

const vocab: Record<string, number> = {};
for (const c of byteChars) vocab[c] = Object.keys(vocab).length;
const merges: string[] = [];
while (merges.length < MERGES) {
  const pairs = new Map<string, number>();
  for (const s of seqs)
    for (let i = 0; i + 1 < s.syms.length; i++) {
      const k = `${s.syms[i]} ${s.syms[i + 1]}`;
      pairs.set(k, (pairs.get(k) ?? 0) + s.n);
    }
  if (pairs.size === 0) break;
  // most frequent pair, ties by name so the file is reproducible
  const [best] = [...pairs.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
  const [l, r] = best.split(" ") as [string, string];
  merges.push(best);
  vocab[l + r] = Object.keys(vocab).length;
  seqs = seqs.map((s) => {
    const out: string[] = [];
    for (let i = 0; i < s.syms.length; i++) {
      if (i + 1 < s.syms.length && s.syms[i] === l && s.syms[i + 1] === r) {
        out.push(l + r);
        i++;
      } else out.push(s.syms[i]!);
    }
    return { syms: out, n: s.n };
  });
}

const base = Object.keys(vocab).length;
/**
 * Merged tokens' ids shuffled (a fixed permutation; the single bytes keep 0..255): a real model's
 * vocabulary interleaves word-initial tokens (Ġword) and word pieces, so a run of consecutive ids
 * decodes to words of a few tokens, not to one word of thousands of characters. BPE merges by the
 * merge list's order, not by id, so the encoding is unchanged.
 */
{
  const ids = Array.from({ length: base - 256 }, (_, i) => 256 + i);
  let x = 777;
  for (let i = ids.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = (x >>> 8) % (i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  for (const [token, id] of Object.entries(vocab)) if (id >= 256) vocab[token] = ids[id - 256]!;
}
const special = ["<|bos|>", "<|eos|>", "<|user|>", "<|assistant|>", "<|end|>"];
const tokenizer = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: special.map((content, i) => ({
    id: base + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  })),
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: null,
  decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    vocab,
    merges,
  },
};
const config = {
  tokenizer_class: "PreTrainedTokenizerFast",
  bos_token: "<|bos|>",
  eos_token: "<|eos|>",
  clean_up_tokenization_spaces: false,
  model_max_length: 1048576,
  chat_template:
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}" +
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}",
};

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "configs", "tokenizers", "emulated");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "tokenizer.json"), `${JSON.stringify(tokenizer, null, 1)}\n`);
writeFileSync(join(dir, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
console.log(`${dir}: ${base} tokens, ${merges.length} merges, ${special.length} special`);
