/**
 * A model's own tokenizer, loaded from its directory as transformers loads a fast tokenizer:
 * `tokenizer.json` (the tokenizers library's format) and `tokenizer_config.json` (special tokens,
 * `clean_up_tokenization_spaces`, the chat template, or `chat_template.jinja` beside it). Encoding,
 * decoding and the chat template run in Node (@huggingface/tokenizers, @huggingface/jinja); nothing
 * is downloaded. Bad files give a ConfigError naming the file and where.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, formatPath, loadYaml } from "@benchfleet/shared";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { z } from "zod";

/** a special token in tokenizer_config.json: its text, or an AddedToken object holding it */
const SpecialToken = z.union([z.string(), z.looseObject({ content: z.string() }), z.null()]).optional();

const TokenizerConfig = z.looseObject({
  bos_token: SpecialToken,
  eos_token: SpecialToken,
  unk_token: SpecialToken,
  pad_token: SpecialToken,
  clean_up_tokenization_spaces: z.boolean().optional(),
  chat_template: z.union([z.string(), z.array(z.looseObject({ name: z.string(), template: z.string() }))]).optional(),
});
type TokenizerConfig = z.infer<typeof TokenizerConfig>;

const TokenizerJson = z.looseObject({
  model: z.looseObject({
    type: z.string().optional(),
    vocab: z.union([z.record(z.string(), z.number()), z.array(z.tuple([z.string(), z.number()]))]),
  }),
});

export interface ChatTurn {
  role: string;
  content: string;
}

export interface ModelTokenizer {
  /** the directory it was loaded from */
  dir: string;
  /** the model's vocabulary without added tokens (transformers' `vocab_size`) */
  vocabSize: number;
  /** ids of the text, no special tokens added (`add_special_tokens=False`) */
  encode(text: string): number[];
  /** tokens an engine counts for a completions prompt: the text with the tokenizer's special tokens (BOS) added */
  countPrompt(text: string): number;
  /** the text of the ids, special tokens kept */
  decode(ids: readonly number[]): string;
  /** the model's chat template for one user message, undefined when the model has none */
  chatTemplate: ((userText: string) => string) | undefined;
  /** the chat template over a conversation with the generation prompt, undefined when the model has none */
  renderChat: ((turns: readonly ChatTurn[]) => string) | undefined;
}

export function loadModelTokenizer(dir: string): ModelTokenizer {
  const jsonFile = join(dir, "tokenizer.json");
  const configFile = join(dir, "tokenizer_config.json");
  const json = parseJsonFile(jsonFile);
  const parsedJson = TokenizerJson.safeParse(json);
  if (!parsedJson.success) {
    const issue = parsedJson.error.issues[0]!;
    throw new ConfigError([
      {
        file: jsonFile,
        line: 1,
        col: 1,
        path: formatPath(issue.path),
        message: `${issue.message} (not a tokenizers-library tokenizer.json)`,
      },
    ]);
  }
  const config: TokenizerConfig = existsSync(configFile)
    ? loadYaml(readText(configFile), configFile, TokenizerConfig).value
    : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json as object, config);
  } catch (err) {
    throw new ConfigError([
      { file: jsonFile, line: 1, col: 1, path: "", message: `cannot build the tokenizer: ${(err as Error).message}` },
    ]);
  }
  const vocab = parsedJson.data.model.vocab;
  const vocabSize = Array.isArray(vocab) ? vocab.length : Object.keys(vocab).length;
  const cleanUp = config.clean_up_tokenization_spaces ?? false;
  const renderChat = chatTemplate(dir, configFile, config);
  return {
    dir,
    vocabSize,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    countPrompt: (text) => tokenizer.encode(text).ids.length,
    decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: cleanUp }),
    chatTemplate: renderChat && ((userText) => renderChat([{ role: "user", content: userText }])),
    renderChat,
  };
}

/** `chat_template.jinja` beside the config wins over the config's `chat_template`, as in transformers */
function chatTemplate(
  dir: string,
  configFile: string,
  config: TokenizerConfig,
): ((turns: readonly ChatTurn[]) => string) | undefined {
  const jinjaFile = join(dir, "chat_template.jinja");
  let source: string | undefined;
  let where = configFile;
  if (existsSync(jinjaFile)) {
    source = readText(jinjaFile);
    where = jinjaFile;
  } else if (typeof config.chat_template === "string") source = config.chat_template;
  else if (Array.isArray(config.chat_template))
    source = config.chat_template.find((t) => t.name === "default")?.template;
  if (source === undefined) return undefined;
  let template: Template;
  try {
    template = new Template(source);
  } catch (err) {
    throw new ConfigError([
      { file: where, line: 1, col: 1, path: "chat_template", message: `cannot parse: ${(err as Error).message}` },
    ]);
  }
  const specials = {
    bos_token: tokenText(config.bos_token),
    eos_token: tokenText(config.eos_token),
    unk_token: tokenText(config.unk_token),
    pad_token: tokenText(config.pad_token),
  };
  return (turns) =>
    template.render({ ...specials, messages: turns.map((t) => ({ ...t })), add_generation_prompt: true });
}

function tokenText(t: z.infer<typeof SpecialToken>): string {
  if (t == null) return "";
  return typeof t === "string" ? t : t.content;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, line: 1, col: 1, path: "", message: `cannot read: ${(err as Error).message}` }]);
  }
}

/** JSON.parse with a syntax error located as file:line:col */
function parseJsonFile(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg);
    const { line, col } = at ? lineCol(text, Number(at[1])) : { line: 1, col: 1 };
    throw new ConfigError([{ file, line, col, path: "", message: `not valid JSON: ${msg}` }]);
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  return { line, col: offset - start + 1 };
}
