/**
 * The view and its filters live in the URL hash (`#/sweeps/s1?sku=h100&state=failed`), so any
 * view can be linked and reloaded. Pure: parse and format only.
 */
export type ViewName = "fleet" | "sweeps" | "sweep" | "job" | "results" | "compare" | "agentic" | "login";

export interface Route {
  view: ViewName;
  /** sweep id (view "sweep") or job id (view "job") */
  id?: string;
  params: Record<string, string>;
}

const LIST_VIEWS: Record<string, ViewName> = {
  fleet: "fleet",
  sweeps: "sweeps",
  results: "results",
  compare: "compare",
  agentic: "agentic",
  login: "login",
};

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, "");
  const q = h.indexOf("?");
  const path = q >= 0 ? h.slice(0, q) : h;
  const query = q >= 0 ? h.slice(q + 1) : "";
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) if (v !== "") params[k] = v;
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [head, id] = parts;
  if (head === "sweeps" && id) return { view: "sweep", id, params };
  if (head === "jobs" && id) return { view: "job", id, params };
  return { view: (head && LIST_VIEWS[head]) || "fleet", params };
}

export function formatRoute(r: Route): string {
  const path =
    r.view === "sweep"
      ? `/sweeps/${encodeURIComponent(r.id ?? "")}`
      : r.view === "job"
        ? `/jobs/${encodeURIComponent(r.id ?? "")}`
        : `/${r.view}`;
  const qs = new URLSearchParams();
  for (const k of Object.keys(r.params).sort()) {
    const v = r.params[k];
    if (v !== undefined && v !== "") qs.set(k, v);
  }
  const s = qs.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

/** The same route with some params changed (empty string or undefined removes one). */
export function withParams(r: Route, change: Record<string, string | undefined>): Route {
  const params = { ...r.params };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined || v === "") delete params[k];
    else params[k] = v;
  }
  return { ...r, params };
}
