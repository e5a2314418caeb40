/**
 * Splits a subagent's inner requests into the parallel chains the lab's AIPerf fork replays them as
 * (its hash-id longest-common-prefix chain detection, run on each subagent's requests). Pure.
 *
 * In time order (ties by position), each request with hash ids:
 * - extends the chain whose last hash-bearing request (its tail) is a whole prefix of the
 *   request's ids, ran on the same model and had ended by the request's start (the deepest such
 *   tail wins);
 * - else forks a new chain off the chain whose tail shares the longest prefix with it (none: a
 *   disjoint chain), except while no chain has a tail yet, when it joins the first chain.
 * Requests without hash ids have no evidence and ride the first chain.
 *
 * Then seams are spliced: when a chain's tail has forks registered on it and is still its chain's
 * last hash-bearing request, the fork that continues it (starts after the tail ended, same model,
 * not both more than {@link SEAM_MAX_GAP_S} later and sharing under {@link SEAM_MIN_OVERLAP} of the
 * tail's blocks; the deepest shared prefix, then the earliest fork) is appended to the tail's chain
 * (a compacted or edited context is the same agent, not a new one). The forks it leaves that still
 * share a prefix with the new tail are registered on it and judged again.
 *
 * A leading request that shares no prefix with any other (a title-generation call: output of at most
 * {@link PREAMBLE_MAX_OUTPUT} tokens, or none of its blocks used again) is set aside before
 * detection and put back on the main chain. The main chain is the one holding the earliest request;
 * the others follow it, ordered by their first request.
 */

/** what chain detection reads of a request */
export interface ChainRequest {
  t: number;
  model: string;
  out: number;
  hash_ids?: readonly number[] | undefined;
  api_time?: number | null | undefined;
}

const EPSILON_S = 1e-6;
/** a continuation further than this after its tail … */
const SEAM_MAX_GAP_S = 3600;
/** … that shares less than this fraction of the tail's blocks is a new agent, not a continuation */
const SEAM_MIN_OVERLAP = 0.5;
const PREAMBLE_MAX_OUTPUT = 64;

export interface DetectedChains {
  /** positions in the input, each chain in time order: the main chain first, then the others */
  chains: number[][];
}

interface Fork {
  parent: number | undefined;
  /** the parent's tail it forked from (a position in the input) */
  tail: number | undefined;
  /** blocks shared with that tail */
  depth: number;
  atS: number;
}

interface Chain {
  members: number[];
  fork?: Fork;
  splicedInto?: number;
  /** position of the last hash-bearing request, -1 while none */
  tail: number;
}

const endS = (r: ChainRequest) =>
  r.t + (r.api_time != null && Number.isFinite(r.api_time) ? Math.max(0, r.api_time) : 0);

function lcp(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

const hashes = (r: ChainRequest): readonly number[] => r.hash_ids ?? [];

/** the leading throwaway request, if the first one (in time order) is one */
function preambleOf(reqs: readonly ChainRequest[], order: readonly number[]): number | undefined {
  if (order.length < 2) return undefined;
  const first = reqs[order[0]!]!;
  const h = hashes(first);
  if (!h.length) return undefined;
  const rest = order.slice(1).map((i) => hashes(reqs[i]!));
  if (rest.some((o) => o.length > 0 && lcp(h, o) > 0)) return undefined;
  if (first.out > PREAMBLE_MAX_OUTPUT) {
    const used = new Set(rest.flat());
    if (h.some((x) => used.has(x))) return undefined;
  }
  return order[0];
}

export function detectChains(reqs: readonly ChainRequest[]): DetectedChains {
  const byTime = (a: number, b: number) => reqs[a]!.t - reqs[b]!.t || a - b;
  const order = reqs.map((_, i) => i).sort(byTime);
  if (!order.length) return { chains: [] };
  const preamble = preambleOf(reqs, order);
  const detect = preamble === undefined ? order : order.slice(1);

  const chains: Chain[] = [];
  const chainOf = new Map<number, number>();
  const forksOn = new Map<number, number[]>();
  const append = (ci: number, i: number) => {
    chains[ci]!.members.push(i);
    chainOf.set(i, ci);
    if (hashes(reqs[i]!).length) chains[ci]!.tail = i;
  };
  for (const i of detect) {
    const r = reqs[i]!;
    const h = hashes(r);
    if (!chains.length) chains.push({ members: [], tail: -1 });
    if (!h.length) {
      append(0, i);
      continue;
    }
    // the deepest tail this request extends
    let target: number | undefined;
    let targetLen = -1;
    chains.forEach((c, ci) => {
      if (c.tail < 0) return;
      const tail = reqs[c.tail]!;
      const th = hashes(tail);
      if (th.length > h.length || th.length <= targetLen) return;
      if (tail.model !== r.model || endS(tail) > r.t + EPSILON_S) return;
      if (lcp(th, h) === th.length) {
        target = ci;
        targetLen = th.length;
      }
    });
    if (target !== undefined) {
      append(target, i);
      continue;
    }
    // else a fork off the tail sharing the longest prefix (then the longer tail)
    let parent: number | undefined;
    let best = [0, 0];
    chains.forEach((c, ci) => {
      if (c.tail < 0) return;
      const th = hashes(reqs[c.tail]!);
      const d = lcp(th, h);
      if (d > 0 && (d > best[0]! || (d === best[0] && th.length > best[1]!))) {
        parent = ci;
        best = [d, th.length];
      }
    });
    if (parent === undefined && chains.every((c) => c.tail < 0)) {
      append(0, i);
      continue;
    }
    const fork: Fork = {
      parent,
      tail: parent === undefined ? undefined : chains[parent]!.tail,
      depth: best[0]!,
      atS: r.t,
    };
    chains.push({ members: [], fork, tail: -1 });
    append(chains.length - 1, i);
    if (fork.tail !== undefined && fork.depth > 0)
      forksOn.set(fork.tail, [...(forksOn.get(fork.tail) ?? []), chains.length - 1]);
  }

  spliceSeams(reqs, chains, chainOf, forksOn);

  const resolve = (ci: number): number => {
    let c = ci;
    while (chains[c]!.splicedInto !== undefined) c = chains[c]!.splicedInto!;
    return c;
  };
  const main = detect.length ? resolve(chainOf.get(detect[0]!)!) : 0;
  const mainMembers = [...(chains[main]?.members ?? []), ...(preamble === undefined ? [] : [preamble])].sort(byTime);
  const others = chains
    .map((c, ci) => ({ c, ci }))
    .filter(({ c, ci }) => ci !== main && c.splicedInto === undefined && c.members.length > 0)
    .map(({ c }) => [...c.members].sort(byTime))
    .sort((a, b) => byTime(a[0]!, b[0]!));
  return { chains: [mainMembers, ...others] };
}

/** phase two: continuations appended to the tails they continue */
function spliceSeams(
  reqs: readonly ChainRequest[],
  chains: Chain[],
  chainOf: Map<number, number>,
  forksOn: Map<number, number[]>,
): void {
  const resolve = (ci: number): number => {
    let c = ci;
    while (chains[c]!.splicedInto !== undefined) c = chains[c]!.splicedInto!;
    return c;
  };
  const lastHashBearing = (c: Chain): number | undefined => {
    for (let k = c.members.length - 1; k >= 0; k--) if (hashes(reqs[c.members[k]!]!).length) return c.members[k];
    return undefined;
  };
  // tails in input order, smallest first; a tail re-registered after a splice is judged again
  const pending = new Set(forksOn.keys());
  const done = new Set<number>();
  for (;;) {
    const open = [...pending].filter((k) => !done.has(k));
    if (!open.length) return;
    const tail = Math.min(...open);
    pending.delete(tail);
    done.add(tail);
    const owner = resolve(chainOf.get(tail)!);
    const ownerChain = chains[owner]!;
    if (lastHashBearing(ownerChain) !== tail) continue;
    const registered = (forksOn.get(tail) ?? []).filter((ci) => chains[ci]!.splicedInto === undefined);
    const t = reqs[tail]!;
    const tEnd = endS(t);
    const tailBlocks = hashes(t).length;
    const candidates = registered.filter((ci) => {
      const c = chains[ci]!;
      const first = reqs[c.members[0]!]!;
      if (!c.fork || c.fork.depth <= 0 || tEnd > first.t + EPSILON_S || first.model !== t.model) return false;
      const blocked = tailBlocks > 0 && first.t - tEnd > SEAM_MAX_GAP_S && c.fork.depth / tailBlocks < SEAM_MIN_OVERLAP;
      return !blocked;
    });
    if (!candidates.length) continue;
    const elected = candidates.reduce((a, b) => {
      const fa = chains[a]!.fork!;
      const fb = chains[b]!.fork!;
      if (fb.depth !== fa.depth) return fb.depth > fa.depth ? b : a;
      if (fb.atS !== fa.atS) return fb.atS < fa.atS ? b : a;
      return Math.min(a, b);
    });
    const target = chains[elected]!;
    ownerChain.members.push(...target.members);
    for (const i of target.members) chainOf.set(i, owner);
    target.splicedInto = owner;
    const newTail = lastHashBearing(ownerChain);
    if (newTail === undefined) continue;
    const nh = hashes(reqs[newTail]!);
    let rekeyed = false;
    for (const ci of registered) {
      const c = chains[ci]!;
      if (ci === elected || c.splicedInto !== undefined || !c.fork) continue;
      const d = lcp(nh, hashes(reqs[c.members[0]!]!));
      if (d <= 0) continue;
      c.fork = { ...c.fork, tail: newTail, depth: d, parent: owner };
      forksOn.set(newTail, [...(forksOn.get(newTail) ?? []), ci]);
      rekeyed = true;
    }
    if (rekeyed) {
      done.delete(newTail);
      pending.add(newTail);
    }
  }
}
