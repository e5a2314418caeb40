/**
 * Many waiters on one AbortSignal at the cost of one listener. An EventTarget checks a new listener
 * against every one it holds, so with thousands of requests in flight each adding and removing its
 * own listener on the run's signal, adding and removing costs grow with the requests in flight;
 * here each waiter is a Set entry behind a single listener per signal.
 */
const waiters = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * runs `onAbort` once when `signal` aborts; the returned function unsubscribes. A signal already
 * aborted never calls it: check `signal.aborted` first.
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let set = waiters.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    set = fresh;
    waiters.set(signal, fresh);
    signal.addEventListener(
      "abort",
      () => {
        waiters.delete(signal);
        for (const f of fresh) f();
        fresh.clear();
      },
      { once: true },
    );
  }
  set.add(onAbort);
  const mine = set;
  return () => {
    mine.delete(onAbort);
  };
}
