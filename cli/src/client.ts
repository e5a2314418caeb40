/**
 * HTTP client of the controller API for the CLI: base URL and token from `--controller/--token`
 * or BENCHFLEET_URL / BENCHFLEET_TOKEN. API errors become one-line CliErrors.
 */

import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CliError } from "@benchfleet/shared";
import type { Command } from "commander";

export const DEFAULT_URL = "http://127.0.0.1:8480";

export interface ConnOpts {
  controller?: string;
  token?: string;
}

/** Adds --controller and --token to a command. */
export function withConn(cmd: Command): Command {
  return cmd
    .option("--controller <url>", `controller URL (env BENCHFLEET_URL, default ${DEFAULT_URL})`)
    .option("--token <token>", "operator token (env BENCHFLEET_TOKEN)");
}

export class ApiClient {
  readonly url: string;
  readonly token: string | undefined;

  constructor(o: ConnOpts, env: NodeJS.ProcessEnv = process.env) {
    this.url = (o.controller ?? env.BENCHFLEET_URL ?? DEFAULT_URL).replace(/\/+$/, "");
    this.token = o.token ?? env.BENCHFLEET_TOKEN;
    if (!/^https?:\/\//.test(this.url) || !URL.canParse(this.url))
      throw new CliError(`--controller must be an http(s) URL, got "${this.url}"`, 2);
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      // undici's "fetch failed" says nothing; its cause does (ECONNREFUSED, ENOTFOUND, "bad port": fetch refuses ports such as 6000)
      const c = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (e as Error).message;
      throw new CliError(
        `cannot reach the controller at ${this.url} (${cause}); is it running? (--controller or BENCHFLEET_URL)`,
      );
    }
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON (CSV export) */
    }
    if (!res.ok) throw apiError(res, data, text);
    return data as T;
  }

  /** Streams a GET's body into `file` as it arrives (the file is written only after a 200); its size in bytes. */
  async download(path: string, file: string): Promise<number> {
    const res = await this.send("GET", path);
    if (!res.ok || !res.body) {
      const text = await res.text();
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      throw apiError(res, data, text);
    }
    const out = createWriteStream(file);
    try {
      await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), out);
    } catch (e) {
      throw new CliError(`cannot write ${file}: ${(e as Error).message}`);
    }
    return out.bytesWritten;
  }

  get<T = any>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T = any>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  wsUrl(path: string): string {
    return new URL(`${this.url.replace(/^http/, "ws")}${path}`).toString();
  }

  /** headers a WebSocket to the controller needs (the token travels in a header, never in the URL) */
  wsHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }
}

function apiError(res: Response, data: unknown, text: string): CliError {
  const err = data as { error?: string; message?: string } | undefined;
  const hint = res.status === 401 ? " (set --token or BENCHFLEET_TOKEN)" : "";
  return new CliError(`${res.status} ${err?.error ?? res.statusText}: ${err?.message ?? text.slice(0, 200)}${hint}`);
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const e = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "") as Array<
    [string, string | number]
  >;
  return e.length ? `?${e.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&")}` : "";
}

export function ago(iso: string | undefined): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
