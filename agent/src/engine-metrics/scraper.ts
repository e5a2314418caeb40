/**
 * EngineMetricsScraper: while a load point runs, reads each engine role's Prometheus endpoint
 * every `intervalMs` and, when stopped, summarises what it read per role (summarizeEngineScrapes).
 * A scrape that fails (refused, timed out, HTTP error, malformed text) is counted and named in the
 * role's `problem`; it never fails the point.
 */
import {
  ENGINE_METRIC_LABEL_SPLITS,
  type EndpointRef,
  type EngineMetrics,
  type EngineScrape,
  parsePrometheusText,
  summarizeEngineScrapes,
  totalsByName,
} from "@benchfleet/shared";

export interface ScraperOptions {
  /** default 1000 */
  intervalMs?: number;
  /** one scrape's limit (default 2000); a slower endpoint misses rounds rather than piling up */
  timeoutMs?: number;
}

interface Target {
  ref: EndpointRef;
  scrapes: EngineScrape[];
  failures: string[];
  inFlight: Promise<void> | undefined;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

async function scrapeOnce(url: string, timeoutMs: number): Promise<EngineScrape> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const text = await res.text();
  if (text.length > MAX_BODY_BYTES) throw new Error(`answer over ${MAX_BODY_BYTES} bytes`);
  try {
    return { atMs: Date.now(), totals: totalsByName(parsePrometheusText(text), ENGINE_METRIC_LABEL_SPLITS) };
  } catch (e) {
    throw new Error(`malformed metrics text: ${(e as Error).message}`);
  }
}

export class EngineMetricsScraper {
  private readonly targets: Target[];
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(refs: readonly EndpointRef[], opts: ScraperOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.targets = refs.map((ref) => ({ ref, scrapes: [], failures: [], inFlight: undefined }));
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** stops without a summary (the point failed) */
  cancel(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** stops, takes one last scrape of each endpoint (the counters' end of the point) and summarises */
  async stop(): Promise<EngineMetrics> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.targets.map((t) => t.inFlight));
    this.tick();
    await Promise.all(this.targets.map((t) => t.inFlight));
    return {
      intervalMs: this.intervalMs,
      roles: this.targets.map((t) => summarizeEngineScrapes(t.ref, t.scrapes, t.failures)),
    };
  }

  private tick(): void {
    for (const t of this.targets) {
      if (t.inFlight) continue; // a slow endpoint: skip this round rather than pile up
      t.inFlight = scrapeOnce(t.ref.url, this.timeoutMs)
        .then((s) => {
          t.scrapes.push(s);
        })
        .catch((e: unknown) => {
          const err = e as Error & { cause?: { code?: string; message?: string } };
          t.failures.push(
            err.name === "TimeoutError" ? `no answer within ${this.timeoutMs} ms` : (err.cause?.message ?? err.message),
          );
        })
        .finally(() => {
          t.inFlight = undefined;
        });
    }
  }
}
