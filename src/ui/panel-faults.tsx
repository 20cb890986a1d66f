import { useEffect, useState } from "preact/hooks";
import { unlessMissing } from "./api.js";
import { Badge, httpTone, Panel, StatusLine, VirtualTable, type Column } from "./components.js";
import { clockTime, faultResult, maskKey, percent, shortId } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { ChaosView, FaultLogEntry, FaultReport, WireEvent } from "./types.js";

/** The newest faulted requests the log asks for; counts cover every fault whatever this is. */
const LOG_LIMIT = 500;
const KINDS = ["request", "delivery"] as const;
const CHAOS_KINDS = ["request"] as const;
const TOP_KEYS = 8;

/** Only requests and deliveries that met a fault change the report. */
const faulted = (e: WireEvent) => (e.data as { fault?: string | null } | null)?.fault != null;

function Chaos(props: { chaos: ChaosView; onChanged: (c: ChaosView) => void }) {
  const { api } = useEnv();
  const c = props.chaos;
  const [form, setForm] = useState({ rate: String(c.rate), profile: c.profile, dirty: false });
  const action = useAction();
  // Follow the server until the user edits; an edit is kept until applied.
  useEffect(() => {
    if (!form.dirty) setForm({ rate: String(c.rate), profile: c.profile, dirty: false });
  }, [c.rate, c.profile]);
  const edit = (patch: Partial<typeof form>) => setForm({ ...form, ...patch, dirty: true });
  const put = (body: { rate: number; profile?: string }, what: (v: ChaosView) => string) =>
    action.run(async () => {
      const v = await api.put<ChaosView>("/chaos", body);
      setForm({ rate: String(v.rate), profile: v.profile, dirty: false });
      props.onChanged(v);
      return what(v);
    });
  const profile = c.profiles[form.profile];
  const on = c.rate > 0;

  return (
    <section class="faults-col" aria-labelledby="chaos-h">
      <h3 class="sub" id="chaos-h">
        Chaos
      </h3>
      <p class="now">
        <Badge tone={on ? "warn" : "plain"}>{on ? `On: ${percent(c.rate)} ${c.profile}` : "Off"}</Badge> <span class="muted">seed {c.seed}</span>
      </p>
      <form
        class="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          void put({ rate: Number(form.rate), profile: form.profile }, (v) => `Chaos ${v.rate > 0 ? `on: ${percent(v.rate)} of requests meet a ${v.profile} fault` : "is at rate 0 (off)"}.`);
        }}
      >
        <label>
          Rate (0 to 1)
          <input type="number" min={0} max={1} step="any" value={form.rate} onInput={(e) => edit({ rate: e.currentTarget.value })} required class="narrow" />
        </label>
        <label>
          Profile
          <select value={form.profile} onChange={(e) => edit({ profile: e.currentTarget.value })}>
            {Object.keys(c.profiles).map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Apply chaos
        </button>
        <button type="button" disabled={!on} onClick={() => void put({ rate: 0 }, () => "Chaos off.")}>
          Chaos off
        </button>
      </form>
      <StatusLine message={action.message} />
      {profile ? (
        <>
          <p class="hint">{profile.about}</p>
          <dl class="phase-list">
            {Object.entries(profile.phases).map(([phase, names]) => (
              <div key={phase}>
                <dt>{phase}</dt>
                <dd class="mono">{names?.join(", ")}</dd>
              </div>
            ))}
          </dl>
        </>
      ) : null}
      <p class="hint">
        Same seed, same requests per key: same faults. To break a phase's next requests on purpose, arm a fault in <a href="#scenarios">Scenarios</a>.
      </p>
    </section>
  );
}

const tally = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => (
      <li key={name}>
        <span class="mono">{name}</span> <span class="num-inline">{n}</span>
      </li>
    ));

/** Injected faults (counts by kind, phase and key; the recent log, live), and seeded chaos with a form to change it. */
export function FaultsPanel() {
  const { api } = useEnv();
  const report = useResource((signal) => unlessMissing(api.get<FaultReport>("/faults", { limit: LOG_LIMIT }, signal)), KINDS, [], false, { when: faulted });
  // Nothing announces a chaos change made elsewhere: re-read it while requests flow (it is small).
  const chaos = useResource((signal) => unlessMissing(api.get<ChaosView>("/chaos", {}, signal)), CHAOS_KINDS, [], false, { minGapMs: 1000 });
  const r = report.data;
  const log = r ? [...r.log].reverse() : [];

  const columns: Column<FaultLogEntry>[] = [
    { label: "Time", width: "4.8rem", cell: (e) => <span class="mono">{clockTime(e.time_ms)}</span> },
    { label: "Fault", width: "minmax(6rem, 1fr)", cell: (e) => <span class="mono ellipsis">{e.fault}</span> },
    { label: "Phase", width: "4.2rem", cell: (e) => e.phase ?? "—" },
    { label: "Key", width: "9.6rem", cell: (e) => <span class="mono">{e.key === null ? "—" : maskKey(e.key)}</span> },
    {
      label: "Request",
      width: "minmax(7rem, 1.4fr)",
      cell: (e) =>
        e.source === "webhook" ? (
          <span class="ellipsis" title={`webhook delivery ${e.delivery_id} of job ${e.job_id}`}>
            webhook {e.delivery_id} <span class="mono muted">{e.job_id ? shortId(e.job_id) : ""}</span>
          </span>
        ) : (
          <span class="mono ellipsis" title={`${e.method} ${e.path}`}>
            {e.method} {e.path}
          </span>
        ),
    },
    {
      label: "Client got",
      width: "7.4rem",
      cell: (e) => <Badge tone={e.response_lost || e.status === 0 || e.status === null ? "bad" : e.fault === "malformed_json" ? "warn" : httpTone(e.status)}>{faultResult(e)}</Badge>,
    },
  ];

  if (report.data === null || chaos.data === null)
    return (
      <Panel id="faults" title="Faults">
        <p class="empty">This mock has no transport faults or chaos (GET /__mock/faults is missing): upgrade it to see them here.</p>
      </Panel>
    );

  return (
    <Panel id="faults" title="Faults" actions={<span class="muted">{r ? `${r.total} injected` : "…"}</span>}>
      {report.error ? <p class="error-text">{report.error}</p> : null}
      <div class="faults-grid">
        {chaos.data ? <Chaos chaos={chaos.data} onChanged={() => chaos.reload()} /> : <p class="empty">Loading chaos…</p>}
        <section class="faults-col" aria-labelledby="injected-h" tabIndex={0}>
          <h3 class="sub" id="injected-h">
            Injected
          </h3>
          {!r || r.total === 0 ? (
            <p class="empty">No fault injected yet. Send X-Mock-Fault, use a magic image host, arm a fault, or turn chaos on.</p>
          ) : (
            <div class="tallies">
              <div>
                <h4>By kind</h4>
                <ul aria-label="Faults by kind">{tally(r.by_kind)}</ul>
              </div>
              <div>
                <h4>By phase</h4>
                <ul aria-label="Faults by phase">{tally(r.by_phase)}</ul>
              </div>
              <div>
                <h4>By key</h4>
                <ul aria-label="Faults by key">
                  {r.by_key.slice(0, TOP_KEYS).map((k) => (
                    <li key={k.key_ref ?? k.key ?? "-"}>
                      <span class="mono">{k.key === null ? "(no key)" : maskKey(k.key)}</span> <span class="num-inline">{k.count}</span>
                    </li>
                  ))}
                  {r.by_key.length > TOP_KEYS ? <li class="muted">and {r.by_key.length - TOP_KEYS} more keys</li> : null}
                </ul>
              </div>
            </div>
          )}
        </section>
        <section class="faults-col faults-log" aria-labelledby="fault-log-h">
          <h3 class="sub" id="fault-log-h">
            Recent, newest first
          </h3>
          <VirtualTable label="Injected faults, newest first" count={log.length} row={(i) => log[i]} rowKey={(e, i) => `${log.length - i}-${e.time_ms}-${e.delivery_id ?? e.path}`} columns={columns} empty="Faulted requests and webhook deliveries appear here live." />
        </section>
      </div>
    </Panel>
  );
}
