import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { HttpError, errorText, type Api } from "./api.js";
import { Badge, Panel } from "./components.js";
import { EnvContext, useEnv, useResource, type Env } from "./hooks.js";
import { Live, POLL_MS, type LiveMode } from "./live.js";
import { AccountsPanel } from "./panel-accounts.js";
import { ClockPanel, type ClockState } from "./panel-clock.js";
import { DeliveriesPanel } from "./panel-deliveries.js";
import { DoctorPanel } from "./panel-doctor.js";
import { FaultsPanel } from "./panel-faults.js";
import type { JobLink } from "./panel-jobs.js";
import { JobsPanel } from "./panel-jobs.js";
import { RequestsPanel } from "./panel-requests.js";
import { ScenariosPanel } from "./panel-scenarios.js";
import { SessionControls } from "./session.js";
import type { ClockView, Health, PageConfig } from "./types.js";

const PANELS = [
  ["scenarios", "Scenarios"],
  ["deliveries", "Webhook deliveries"],
  ["clock", "Clock"],
  ["jobs", "Jobs"],
  ["requests", "Requests"],
  ["accounts", "Accounts"],
  ["session", "Session"],
  ["faults", "Faults"],
  ["doctor", "Doctor"],
] as const;

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: `Polling every ${POLL_MS / 1000} s`,
  stopped: "Stopped",
};

function TokenPrompt(props: { api: Api; error: string | null; onUnlocked: () => void }) {
  const [token, setToken] = useState("");
  return (
    <main class="token-page">
      <section class="panel token" aria-labelledby="token-h">
        <h1 id="token-h">Admin token</h1>
        <p>
          This mock was started with <code>--admin-token</code>. Enter the token to open the dashboard; it is kept for this browser tab only and sent as <code>X-Mock-Admin-Token</code>.
        </p>
        <form
          class="row-form"
          onSubmit={(e) => {
            e.preventDefault();
            props.api.setToken(token);
            props.onUnlocked();
          }}
        >
          <label>
            Admin token
            <input type="password" value={token} onInput={(e) => setToken(e.currentTarget.value)} required autocomplete="off" autofocus />
          </label>
          <button type="submit" class="primary">
            Unlock
          </button>
        </form>
        <p class="status-line is-error" role="status">
          {props.error ?? ""}
        </p>
      </section>
    </main>
  );
}

function Dashboard() {
  const { api, live, config } = useEnv();
  const [mode, setMode] = useState<LiveMode>(live.mode);
  useEffect(() => {
    // The feed started before this first render's effects ran: a change in between would be missed.
    setMode(live.mode);
    return live.onMode(setMode);
  }, []);
  const clock = useResource(async (signal): Promise<ClockState> => ({ view: await api.get<ClockView>("/clock", {}, signal), at: Date.now() }), ["clock"], []);
  const [requestsJob, setRequestsJob] = useState<JobLink | null>(null);
  const [deliveriesJob, setDeliveriesJob] = useState<JobLink | null>(null);
  const now = clock.data?.view.now_ms ?? null;

  return (
    <>
      <header class="top">
        <h1>
          artemotion-mock <span class="muted">QA dashboard · {config.version}</span>
        </h1>
        <nav aria-label="Panels">
          {PANELS.map(([id, name]) => (
            <a href={`#${id}`}>{name}</a>
          ))}
          <a href="/docs">API reference</a>
        </nav>
        <Badge tone={mode === "live" ? "ok" : mode === "polling" ? "wait" : "plain"} title="How the dashboard hears about changes">
          {MODE_TEXT[mode]}
        </Badge>
      </header>
      <main class="grid">
        <ScenariosPanel />
        <DeliveriesPanel jobFilter={deliveriesJob?.job_id ?? null} onClearJob={() => setDeliveriesJob(null)} />
        <ClockPanel clock={clock} />
        <JobsPanel now={now} onRequests={setRequestsJob} onDeliveries={setDeliveriesJob} />
        <RequestsPanel job={requestsJob} onClearJob={() => setRequestsJob(null)} />
        <AccountsPanel />
        <Panel id="session" title="Session" className="session-panel">
          <p class="hint">Export writes jobs, deliveries, armed scenarios and the journal as one JSON file, for a bug report. Reset asks first.</p>
          <SessionControls onReset={() => live.refreshAll()} />
        </Panel>
        <FaultsPanel />
        <DoctorPanel />
      </main>
    </>
  );
}

type Phase = { name: "checking" } | { name: "token"; error: string | null } | { name: "ready"; env: Env } | { name: "failed"; error: string };

/** Asks for the admin token when the mock wants one, finds what the mock supports, then shows the panels. */
export function App(props: { api: Api; config: PageConfig }) {
  const { api, config } = props;
  const [phase, setPhase] = useState<Phase>(() => (config.tokenRequired && api.token === null ? { name: "token", error: null } : { name: "checking" }));
  const [attempt, setAttempt] = useState(0);
  const liveRef = useRef<Live | null>(null);
  useMemo(
    () =>
      api.onUnauthorized(() => {
        // Stop first: a feed left polling would keep knocking with the refused token.
        liveRef.current?.stop();
        setPhase({ name: "token", error: "That token was refused. Enter the mock's --admin-token." });
      }),
    [api],
  );

  useEffect(() => {
    if (phase.name !== "checking") return;
    api
      .get<Health>("/health")
      .then((h) => {
        // Control API v2 (the event stream, account listing, schedule and export) reports its store in /health.
        const caps = { v2: h.store !== undefined };
        const live = (liveRef.current = new Live(api, caps.v2));
        live.start();
        setPhase({ name: "ready", env: { api, live, config, caps } });
      })
      .catch((e: unknown) => {
        if (!(e instanceof HttpError && e.status === 401)) setPhase({ name: "failed", error: errorText(e) });
      });
    return () => liveRef.current?.stop();
  }, [attempt]);

  if (phase.name === "token") return <TokenPrompt api={api} error={phase.error} onUnlocked={() => (setPhase({ name: "checking" }), setAttempt((n) => n + 1))} />;
  if (phase.name === "checking") return <p class="boot">Connecting to the mock…</p>;
  if (phase.name === "failed")
    return (
      <main class="token-page">
        <h1>The mock did not answer</h1>
        <p class="error-text">{phase.error}</p>
        <button type="button" onClick={() => (setPhase({ name: "checking" }), setAttempt((n) => n + 1))}>
          Try again
        </button>
      </main>
    );
  return (
    <EnvContext.Provider value={phase.env}>
      <Dashboard />
    </EnvContext.Provider>
  );
}
