import { useEffect, useState } from "preact/hooks";
import { Badge, httpTone, Panel, StatusLine, VirtualTable, type Column } from "./components.js";
import { clockTime, curlFor, maskKey, statusClass } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { JobLink } from "./panel-jobs.js";
import type { RequestEntry } from "./types.js";

const KINDS = ["request"] as const;
/** The journal is a ring buffer (1,000 by default); this many of the newest are fetched, and only the rows in view are drawn. */
const LIMIT = 2000;

interface Filters {
  method: string;
  path: string;
  status: string;
  key: string;
  scenario: string;
}
const NONE: Filters = { method: "", path: "", status: "", key: "", scenario: "" };

/** The same filters again in the browser: an older mock ignores them on the server. */
function matches(r: RequestEntry, f: Filters, errorsOnly: boolean, job: JobLink | null): boolean {
  if (f.method && r.method !== f.method) return false;
  if (f.path && !r.path.includes(f.path)) return false;
  if (f.status && statusClass(r.status) !== f.status) return false;
  if (f.scenario && r.scenario !== f.scenario) return false;
  if (f.key && /^ae_(live|test)_/.test(f.key) && r.key !== maskKey(f.key)) return false;
  if (errorsOnly && r.status < 400) return false;
  if (job && !(r.job_id === job.job_id || r.path.includes(job.job_id))) return false;
  return true;
}

/** The live journal, newest first: filters, pause, errors only, and copy as curl with the key masked. */
export function RequestsPanel(props: { job: JobLink | null; onClearJob: () => void }) {
  const { api, live } = useEnv();
  const [filters, setFilters] = useState<Filters>(NONE);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const action = useAction();
  const serverKey = props.job?.key.startsWith("k_") ? props.job.key : filters.key.trim();
  const res = useResource(
    (signal) => api.get<{ requests: RequestEntry[] }>("/requests", { limit: LIMIT, ...filters, key: serverKey }, signal).then((r) => r.requests),
    KINDS,
    [filters.method, filters.path, filters.status, serverKey, filters.scenario],
    paused,
  );
  // While paused, count what arrives (known only with the live stream).
  useEffect(() => {
    if (!paused) return setMissed(0);
    return live.on(KINDS, (e) => e && setMissed((n) => n + 1));
  }, [paused]);
  const rows = (res.data ?? []).filter((r) => matches(r, filters, errorsOnly, props.job));
  const set = (k: keyof Filters) => (e: Event) => setFilters({ ...filters, [k]: (e.currentTarget as HTMLInputElement).value.trim() });

  const copy = (r: RequestEntry) =>
    action.run(async () => {
      const cmd = curlFor(r, location.origin);
      await navigator.clipboard.writeText(cmd);
      return `Copied: ${cmd.split("\n").find((l) => l.startsWith("curl")) ?? cmd}`;
    });

  const columns: Column<RequestEntry>[] = [
    { label: "Time", width: "5rem", cell: (r) => <span class="mono">{clockTime(Date.parse(r.time))}</span> },
    { label: "Method", width: "4.4rem", cell: (r) => <span class="mono">{r.method}</span> },
    { label: "Path", width: "minmax(10rem, 1fr)", cell: (r) => <span class="mono ellipsis" title={r.path + (r.query ? `?${r.query}` : "")}>{r.path}</span> },
    { label: "Status", width: "4.4rem", cell: (r) => <Badge tone={httpTone(r.status)} title={statusClass(r.status)}>{r.status}</Badge> },
    { label: "Key", width: "9.5rem", cell: (r) => <span class="mono">{r.key ?? "—"}</span> },
    { label: "Scenario", width: "7rem", cell: (r) => <span class="ellipsis">{r.scenario ?? r.fault ?? ""}</span> },
    { label: "ms", width: "3.4rem", cell: (r) => <span class="num">{Math.round(r.duration_ms)}</span> },
    {
      label: "curl",
      width: "3.6rem",
      cell: (r) => (
        <button type="button" class="link" aria-label="Copy as curl" title={`Copy ${r.method} ${r.path} as curl`} onClick={() => void copy(r)}>
          copy
        </button>
      ),
    },
  ];

  return (
    <Panel
      id="requests"
      title="Requests"
      actions={
        <>
          {paused ? <Badge tone="wait">Paused{missed ? `, ${missed} new` : ""}</Badge> : <span class="muted">{rows.length} shown</span>}
          <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            Pause
          </button>
        </>
      }
    >
      <form class="row-form filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Method
          <select value={filters.method} onChange={set("method")}>
            {["", "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"].map((m) => (
              <option value={m}>{m || "any"}</option>
            ))}
          </select>
        </label>
        <label>
          Path
          <input value={filters.path} onChange={set("path")} placeholder="/api/v1/jobs" spellcheck={false} size={12} />
        </label>
        <label>
          Status
          <select value={filters.status} onChange={set("status")}>
            {["", "2xx", "3xx", "4xx", "5xx"].map((s) => (
              <option value={s}>{s || "any"}</option>
            ))}
          </select>
        </label>
        <label>
          Key
          <input value={filters.key} onChange={set("key")} placeholder="full key or key_ref" spellcheck={false} autocomplete="off" size={14} />
        </label>
        <label>
          Scenario
          <input value={filters.scenario} onChange={set("scenario")} placeholder="any" spellcheck={false} size={10} />
        </label>
        <label class="check">
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.currentTarget.checked)} />
          Errors only
        </label>
        {props.job ? (
          <span class="chip">
            job <span class="mono">{props.job.job_id.slice(0, 8)}</span>
            <button type="button" class="link" onClick={props.onClearJob}>
              Show all
            </button>
          </span>
        ) : null}
      </form>
      {res.error ? <p class="error-text">{res.error}</p> : null}
      <VirtualTable label="Request journal, newest first" count={rows.length} row={(i) => rows[i]} rowKey={(r, i) => r.id ?? `${r.time}-${i}`} columns={columns} empty={paused ? "Paused." : "No requests match. Requests to /api/v1 and /cdn appear here live."} />
      <StatusLine message={action.message} />
    </Panel>
  );
}
