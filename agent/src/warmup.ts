/** Warmup: a few short completions at the deployment's lowest concurrency, not measured. */
export interface WarmupOptions {
  baseUrl: string;
  model: string;
  api: "completions" | "chat";
  requests: number;
  concurrency: number;
  maxTokens?: number;
  signal: AbortSignal;
}

export async function warmup(o: WarmupOptions): Promise<{ ok: number; failed: number; lastError?: string }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  let lastError: string | undefined;
  const path = o.api === "chat" ? "v1/chat/completions" : "v1/completions";
  const url = new URL(path, o.baseUrl.endsWith("/") ? o.baseUrl : `${o.baseUrl}/`);
  const one = async (i: number) => {
    const body =
      o.api === "chat"
        ? {
            model: o.model,
            messages: [{ role: "user", content: `warmup ${i}: count to ten.` }],
            max_tokens: o.maxTokens ?? 16,
            temperature: 0,
          }
        : { model: o.model, prompt: `warmup ${i}: count to ten.`, max_tokens: o.maxTokens ?? 16, temperature: 0 };
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: o.signal,
      });
      await res.text();
      if (res.ok) ok++;
      else {
        failed++;
        lastError = `HTTP ${res.status}`;
      }
    } catch (e) {
      failed++;
      lastError = (e as Error).message;
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(o.concurrency, o.requests)) }, async () => {
    while (next < o.requests && !o.signal.aborted) await one(next++);
  });
  await Promise.all(lanes);
  return { ok, failed, lastError };
}
