/**
 * Lab prompts on the emulated fleet: a real controller and a real agent with the emulated launcher
 * whose HF hub cache holds the model's tokenizer (the emulated model's, configs/tokenizers/emulated,
 * laid out as a hub snapshot). The agent finds it, builds the points' prompts the lab's way and
 * passes it to the emulated engine, which counts prompts with it. The stored points' prompt-token
 * counts follow the lab's ISL rule: with the chat template rendered by the client, lengths drawn
 * from ISL less the template's tokens plus those tokens; a point asking for token ids keeps them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import type { LoadPoint, PointRow } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

/** a model the emulator knows (llama3-8b); its hub snapshot here holds the emulated tokenizer, not Llama's */
const MODEL = "meta-llama/Llama-3.1-8B-Instruct";
const TOKENIZER = join(import.meta.dirname, "..", "configs", "tokenizers", "emulated");
/** tokens of the emulated tokenizer's chat template around one user message (`<|bos|><|user|>\n…<|end|>\n<|assistant|>\n`) */
const TEMPLATE_TOKENS = 7;

type PromptsBlock = {
  format: string;
  rangeRatio: number;
  lab?: { templateTokens: number; unsettled: number; built: number; clientTemplate?: string };
  promptTokenMismatch: { requests: number; exact: number; max: number };
};

describe("lab prompts on the emulated fleet", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  const tmp = mkdtempSync(join(tmpdir(), "bf-labprompts-"));
  beforeAll(async () => {
    const repo = join(tmp, "hub", `models--${MODEL.replace("/", "--")}`);
    const snapshot = join(repo, "snapshots", "0123abc");
    mkdirSync(snapshot, { recursive: true });
    for (const f of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(TOKENIZER, f), join(snapshot, f));
    mkdirSync(join(repo, "refs"));
    writeFileSync(join(repo, "refs", "main"), "0123abc");
    c = await startTestController(inject("redisUrl"));
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "labp-h100",
      dataDir: join(tmp, "data"),
      launcher: "emulated",
      emulate: { sku: "h100", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
      hfCache: join(tmp, "hub"),
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(async () => (await c.api("GET", "/api/v1/nodes/labp-h100")).body?.state === "idle", 10_000, "idle");
  });
  afterAll(async () => {
    await agent?.stop();
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("stored prompt-token counts follow the lab's ISL rule; a token-id point keeps token ids", async () => {
    const isl = 400;
    const points: LoadPoint[] = [
      { concurrency: 4, isl, osl: 16, useChatTemplate: true },
      { concurrency: 2, isl, osl: 16 },
      { concurrency: 1, isl, osl: 16, prompts: "token-ids" },
    ];
    const d = {
      ...makeDeployment({ seed: "lab-prompts-e2e", gpusPerNode: 1, points, phaseTimeoutS: 120 }),
      model: MODEL,
      modelPrefix: "llama3-8b",
      framework: "vllm",
      isl,
      osl: 16,
      promptsPerConc: 8,
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "lab-prompts", deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 120_000)).status).toBe("succeeded");
    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    const byConc = new Map(rows.map((r) => [r.concurrency, r.result]));
    expect([...byConc.keys()].sort()).toEqual([1, 2, 4]);
    const prompts = (conc: number) => (byConc.get(conc)!.bench.benchfleet as { prompts: PromptsBlock }).prompts;

    // the chat template rendered by the client: lengths drawn in [floor((ISL - T) × 0.8), ISL - T], plus T
    const templated = prompts(4);
    expect(templated.format).toBe("lab");
    expect(templated.lab).toMatchObject({ templateTokens: TEMPLATE_TOKENS, clientTemplate: "model" });
    const requests = 4 * 8;
    expect(templated.promptTokenMismatch.requests).toBe(requests);
    // every prompt that settled on its drawn length is counted by the engine at exactly that length
    expect(templated.promptTokenMismatch.exact).toBe(requests - templated.lab!.unsettled);
    expect(templated.lab!.unsettled).toBeLessThanOrEqual(3);
    const bench4 = byConc.get(4)!.bench;
    const low = Math.floor((isl - TEMPLATE_TOKENS) * 0.8) + TEMPLATE_TOKENS;
    expect(bench4.total_input_tokens / requests).toBeGreaterThan(low);
    expect(bench4.total_input_tokens / requests).toBeLessThan(isl + 2);
    expect(bench4.endpoint_type).toBe("openai");

    // no template: the drawn length itself
    const plain = prompts(2);
    expect(plain.format).toBe("lab");
    expect(plain.lab!.templateTokens).toBe(0);
    expect(plain.promptTokenMismatch.exact).toBe(2 * 8 - plain.lab!.unsettled);

    // the option keeps token-id prompts: exact by construction, no tokenizer involved
    const ids = prompts(1);
    expect(ids.format).toBe("ids");
    expect(ids.lab).toBeUndefined();
    expect(ids.promptTokenMismatch).toMatchObject({ requests: 8, exact: 8 });
    expect(byConc.get(1)!.point.prompts).toBe("token-ids");
  }, 180_000);
});
