/** The dashboard shell: navigation, session, reconnect banner, error toasts, and the routed view. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, getToken, setToken } from "./api.js";
import { ConfirmHost } from "./components/confirm.js";
import { type ConnState, events } from "./events.js";
import { navigate, useRoute } from "./hooks.js";
import type { Route } from "./lib/url-state.js";
import { canOperate, type Identity, whoami } from "./session.js";
import { AgenticView } from "./views/agentic.js";
import { CompareView } from "./views/compare.js";
import { FleetView } from "./views/fleet.js";
import { JobView } from "./views/job.js";
import { LoginView } from "./views/login.js";
import { ResultsView } from "./views/results.js";
import { SweepView } from "./views/sweep.js";
import { SweepsView } from "./views/sweeps.js";

const NAV: Array<{ view: Route["view"]; label: string }> = [
  { view: "fleet", label: "Fleet" },
  { view: "sweeps", label: "Sweeps" },
  { view: "results", label: "Results" },
  { view: "compare", label: "Compare" },
  { view: "agentic", label: "Agentic" },
];

export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Identity | undefined>();
  const [authChecked, setAuthChecked] = useState(false);
  const [loginMsg, setLoginMsg] = useState("");
  const [conn, setConn] = useState<ConnState>(events.state);
  const [errors, setErrors] = useState<Array<{ id: number; msg: string }>>([]);

  const onError = (msg: string) => {
    const id = Date.now() + Math.random();
    setErrors((e) => [...e.slice(-3), { id, msg }]);
    setTimeout(() => setErrors((e) => e.filter((x) => x.id !== id)), 8000);
  };

  useEffect(() => {
    whoami()
      .then((id) => {
        setMe(id);
        events.start();
      })
      .catch((e) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403))
          setLoginMsg(getToken() ? "token refused" : "");
        else setLoginMsg(`cannot reach the controller: ${(e as Error).message}`);
      })
      .finally(() => setAuthChecked(true));
    return events.onState(setConn);
  }, []);

  if (!authChecked) return <p class="muted">connecting…</p>;
  if (!me || route.view === "login")
    return (
      <div class="page">
        <LoginView
          message={loginMsg}
          onLogin={(id) => {
            setMe(id);
            events.start();
            events.restart();
            if (route.view === "login") navigate({ view: "fleet", params: {} });
          }}
        />
      </div>
    );

  const operator = canOperate(me);
  const jobOfAttempt = (attemptId: string) =>
    api<{ jobId: string }>(`/attempts/${encodeURIComponent(attemptId)}`)
      .then((a) => navigate({ view: "job", id: a.jobId, params: { attempt: attemptId } }))
      .catch((e) => onError(`attempt ${attemptId}: ${(e as Error).message}`));
  const active = route.view === "sweep" ? "sweeps" : route.view === "job" ? "sweeps" : route.view;

  return (
    <div class="page">
      <header class="top">
        <h1>benchfleet</h1>
        <nav>
          {NAV.map((n) => (
            <a key={n.view} href={`#/${n.view}`} class={active === n.view ? "active" : ""}>
              {n.label}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {me.name} · {me.role}
          <button
            type="button"
            class="small"
            onClick={() => {
              setToken("");
              setMe(undefined);
              setLoginMsg("");
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      {conn === "reconnecting" && (
        <div class="banner" role="status" data-testid="reconnect-banner">
          Live updates lost — reconnecting…
        </div>
      )}
      <div class="toasts">
        {errors.map((e) => (
          <div key={e.id} class="toast" role="alert">
            {e.msg}
          </div>
        ))}
      </div>
      <main>
        {route.view === "fleet" && (
          <FleetView route={route} operator={operator} onError={onError} onJob={jobOfAttempt} />
        )}
        {route.view === "sweeps" && <SweepsView route={route} operator={operator} onError={onError} />}
        {route.view === "sweep" && <SweepView key={route.id} route={route} operator={operator} onError={onError} />}
        {route.view === "job" && <JobView key={route.id} route={route} operator={operator} onError={onError} />}
        {route.view === "results" && <ResultsView route={route} onError={onError} />}
        {route.view === "compare" && <CompareView route={route} onError={onError} />}
        {route.view === "agentic" && <AgenticView route={route} onError={onError} />}
      </main>
      <ConfirmHost onError={onError} />
    </div>
  );
}
