/** Preact hooks shared by the views: route from the URL hash, session, live subscriptions. */
import { useEffect, useRef, useState } from "preact/hooks";
import { events, type LiveEvent, type Topic } from "./events.js";
import { formatRoute, parseRoute, type Route, withParams } from "./lib/url-state.js";

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function navigate(r: Route, replace = false): void {
  const h = formatRoute(r);
  if (h === location.hash) return;
  if (replace) {
    history.replaceState(null, "", h);
    dispatchEvent(new HashChangeEvent("hashchange"));
  } else location.hash = h;
}

/** Sets filters in the URL (replacing the history entry, so typing in a search box does not flood history). */
export function setParams(r: Route, change: Record<string, string | undefined>): void {
  navigate(withParams(r, change), true);
}

/**
 * Subscribes to a topic while mounted; `onEvent` gets every live event (filter by kind/ids);
 * `onResync` runs after a reconnect so the view refetches what it may have missed.
 */
export function useLive(topic: Topic | undefined, onEvent: (e: LiveEvent) => void, onResync?: () => void): void {
  const h = useRef(onEvent);
  h.current = onEvent;
  const r = useRef(onResync);
  r.current = onResync;
  const key = topic ? JSON.stringify(topic) : "";
  useEffect(() => {
    if (!topic) return;
    const unsub = events.subscribe(topic);
    const off = events.on((e) => h.current(e));
    const offR = events.onReconnect(() => r.current?.());
    return () => {
      unsub();
      off();
      offR();
    };
  }, [key]);
}

/** Re-render at most once per animation frame when `bump` is called (for high-rate updates). */
export function useFrameRefresh(): () => void {
  const [, setN] = useState(0);
  const pending = useRef(false);
  return () => {
    if (pending.current) return;
    pending.current = true;
    requestAnimationFrame(() => {
      pending.current = false;
      setN((n) => n + 1);
    });
  };
}
