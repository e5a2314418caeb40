/**
 * Common English words that are a single token (with their leading space) in the tokenizers of
 * the models benchfleet serves (Llama 3, Qwen 2/3, DeepSeek V3/R1, GPT-OSS, Mistral). Text prompts
 * built from them have a server-side token count of ~1 per word; the chat calibration measures the
 * real ratio and the template overhead with `usage.prompt_tokens`.
 */
export const SINGLE_TOKEN_WORDS: readonly string[] = (
  "the of and to in is for that on with as by at from this be are was it an or have not but which " +
  "they one all can more will has their were when been there had so some what time out up other " +
  "about into than them then these two may first new also any like only most over such after well " +
  "way many very just make even where through back used much before good people could would should " +
  "work each state long made year same part world life over place while day both under each last " +
  "must between water never since house small again being large still group number point long own " +
  "high often city local every hand because next open public order little great line early area case " +
  "system form home book game read light night power field study music river market paper table " +
  "story money level color voice party court early space north south east west road room plan"
)
  .split(" ")
  .filter((w, i, all) => w.length > 0 && all.indexOf(w) === i);
