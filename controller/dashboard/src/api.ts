/**
 * REST client for `/api/v1`: bearer token from the login (kept in localStorage), JSON errors
 * `{error, message}` surfaced as ApiError with the server's message.
 */
const TOKEN_KEY = "benchfleet.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

export function setToken(t: string): void {
  if (t) localStorage.setItem(TOKEN_KEY, t);
  else localStorage.removeItem(TOKEN_KEY);
}

export async function api<T = unknown>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const d = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(
      res.status,
      d.error ?? String(res.status),
      d.message ?? (typeof data === "string" ? data : res.statusText),
    );
  }
  return data as T;
}

/** A list endpoint's items, whether it answers an array or `{items|nodes|sweeps|jobs: [...]}`. */
export function itemsOf<T>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[];
  const o = (data ?? {}) as Record<string, unknown>;
  for (const k of ["items", ...keys]) if (Array.isArray(o[k])) return o[k] as T[];
  return [];
}

/** Every page of a paged list (`?offset&limit` → `{total, items}`). */
export async function fetchAllPages<T>(path: string, pageSize = 1000, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; ; offset += pageSize) {
    const data = await api<{ total?: number; items?: T[] } | T[]>(`${path}${sep}offset=${offset}&limit=${pageSize}`, {
      signal,
    });
    const items = itemsOf<T>(data, "jobs");
    out.push(...items);
    const total = Array.isArray(data) ? undefined : data.total;
    if (items.length < pageSize || (total !== undefined && out.length >= total)) return out;
  }
}

/**
 * Saves what a GET answers as a file named `fileName` (a text download the controller streams).
 * The token travels in a header, so the browser cannot follow a plain link: the answer is read
 * whole, then handed to the browser's download.
 */
export async function downloadFile(path: string, fileName: string): Promise<void> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`/api/v1${path}`, { headers });
  if (!res.ok) {
    const text = await res.text();
    let d: { error?: string; message?: string } = {};
    try {
      d = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, d.error ?? String(res.status), d.message ?? (text || res.statusText));
  }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
