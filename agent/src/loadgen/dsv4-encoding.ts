/**
 * DeepSeek-V4's prompt encoding of one user message in thinking mode, as the reference lab's client
 * renders it with `--dsv4` (utils/bench_serving/encoding_dsv4.py, `encode_messages([{role: user}],
 * thinking_mode="thinking")`): BOS, the User marker, the text, the Assistant marker, `<think>`. The
 * lab's random prompts are single user messages, so this is the whole of that encoder they use. Pure.
 */
import type { ChatEncoding } from "./lab-prompts.js";

const BOS = "<｜begin▁of▁sentence｜>";
const USER = "<｜User｜>";
const ASSISTANT = "<｜Assistant｜>";
const THINK_START = "<think>";

export const dsv4Encoding: ChatEncoding = (userText) => `${BOS}${USER}${userText}${ASSISTANT}${THINK_START}`;
