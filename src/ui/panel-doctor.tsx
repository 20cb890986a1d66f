import { useState } from "preact/hooks";
import { unlessMissing } from "./api.js";
import { Badge, Panel, StatusLine, VirtualTable, type Column } from "./components.js";
import { clockTime, maskKey, probeSummary, shortId } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { DoctorFinding, DoctorReport, ProbeReport } from "./types.js";

/** What the doctor reads: the journal, deliveries, and job state on the virtual clock. */
const KINDS = ["request", "delivery", "job", "clock"] as const;
/** The report walks every tracked job: under a busy client it is re-read at most once a second. */
const GAP_MS = 1000;

const SEVERITY = { error: { tone: "bad", text: "error" }, warn: { tone: "warn", text: "warning" } } as const;
const idOf = (f: DoctorFinding) => `${f.rule}|${f.key_ref ?? f.key ?? ""}|${f.job_id ?? ""}|${f.subject ?? ""}`;
const wallTime = (iso: string) => clockTime(Date.parse(iso));

function Verdict(props: { report: DoctorReport | undefined }) {
  const r = props.report;
  if (!r) return <p class="verdict muted">Asking the doctor…</p>;
  const errors = r.findings.filter((f) => f.severity === "error").length;
  const warns = r.findings.length - errors;
  const badge = !r.enabled ? (
    <Badge tone="plain">off</Badge>
  ) : errors > 0 ? (
    <Badge tone="bad">{`${errors} error${errors === 1 ? "" : "s"}`}</Badge>
  ) : warns > 0 ? (
    <Badge tone="warn">{`${warns} warning${warns === 1 ? "" : "s"}`}</Badge>
  ) : (
    <Badge tone="ok">clean</Badge>
  );
  return (
    <p class="verdict">
      {badge} <span>{r.verdict}</span>
    </p>
  );
}

function Detail(props: { finding: DoctorFinding }) {
  const f = props.finding;
  return (
    <div class="finding">
      <p>
        <Badge tone={SEVERITY[f.severity].tone}>{SEVERITY[f.severity].text}</Badge> <span class="mono">{f.rule}</span>
        <span class="muted">
          {" "}
          · {f.key === null ? "no key" : maskKey(f.key)}
          {f.job_id ? ` · job ${f.job_id}` : ""}
          {f.subject ? ` · ${f.subject}` : ""}
        </span>
      </p>
      <p>{f.message}</p>
      {f.credits_wasted ? <p>Credits wasted: {f.credits_wasted}</p> : null}
      <h4>Evidence</h4>
      <ol class="evidence">
        {f.evidence.map((e) => (
          <li>
            <span class="mono">{wallTime(e.at)}</span> <span class="muted">{e.id === null ? "(not kept)" : `#${e.id}`}</span> <span class="mono">{e.request}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The doctor's findings about the client's behaviour against the docs' rules, with the probe, live. */
export function DoctorPanel() {
  const { api } = useEnv();
  const [key, setKey] = useState("");
  const [arm429, setArm429] = useState(false);
  const [probing, setProbing] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const action = useAction();
  const res = useResource((signal) => unlessMissing(api.get<DoctorReport>("/doctor", { key }, signal)), KINDS, [key], false, { minGapMs: GAP_MS });
  const report = res.data ?? undefined;
  const findings = report?.findings ?? [];
  const selected = findings.find((f) => idOf(f) === selectedId) ?? null;
  const broken = [...new Map(findings.map((f) => [f.rule, f])).values()];

  const probe = () => {
    setProbing(true);
    void action
      .run(async () => {
        const body: Record<string, unknown> = { webhooks: true };
        if (arm429 && key) body.rate_limit_key = key;
        const p = await api.post<ProbeReport>("/doctor/probe", body);
        res.reload();
        return probeSummary(p);
      })
      .finally(() => setProbing(false));
  };

  const columns: Column<DoctorFinding>[] = [
    { label: "Severity", width: "5.2rem", cell: (f) => <Badge tone={SEVERITY[f.severity].tone}>{SEVERITY[f.severity].text}</Badge> },
    {
      label: "Rule",
      width: "11.6rem",
      cell: (f) => (
        <button type="button" class="link mono" aria-pressed={idOf(f) === selectedId} title="Show this finding's evidence" onClick={() => setSelectedId(idOf(f) === selectedId ? null : idOf(f))}>
          {f.rule}
        </button>
      ),
    },
    {
      label: "Key",
      width: "9.8rem",
      cell: (f) =>
        f.key === null ? (
          "—"
        ) : f.key_ref ? (
          <button type="button" class="link mono" title={`Only ${maskKey(f.key)}'s findings`} onClick={() => setKey(f.key_ref!)}>
            {maskKey(f.key)}
          </button>
        ) : (
          <span class="mono">{maskKey(f.key)}</span>
        ),
    },
    { label: "Job", width: "5rem", cell: (f) => (f.job_id ? <span class="mono" title={f.job_id}>{shortId(f.job_id)}</span> : <span class="ellipsis" title={f.subject}>{f.subject ?? "—"}</span>) },
    { label: "Count", width: "3.4rem", cell: (f) => <span class="num">{f.count}</span> },
    { label: "First seen", width: "5.6rem", cell: (f) => <span class="mono" title={f.first_seen}>{wallTime(f.first_seen)}</span> },
    { label: "Last seen", width: "5.6rem", cell: (f) => <span class="mono" title={f.last_seen}>{wallTime(f.last_seen)}</span> },
    { label: "Credits wasted", width: "8.6rem", cell: (f) => <span class="num">{f.credits_wasted ?? "—"}</span> },
    { label: "What the client did", width: "minmax(10rem, 1fr)", cell: (f) => <span class="ellipsis" title={f.message}>{f.message}</span> },
  ];

  if (res.data === null)
    return (
      <Panel id="doctor" title="Doctor">
        <p class="empty">This mock has no doctor (GET /__mock/doctor is missing): upgrade it to see what your client does that would hurt it against the live API.</p>
      </Panel>
    );

  return (
    <Panel
      id="doctor"
      title="Doctor"
      actions={
        <>
          <span class="muted">{report ? `${findings.length} finding${findings.length === 1 ? "" : "s"} · ${report.seen.requests} requests seen` : ""}</span>
          <button type="button" onClick={() => res.reload()}>
            Refresh
          </button>
        </>
      }
    >
      <Verdict report={report} />
      <form class="row-form" onSubmit={(e) => e.preventDefault()}>
        <label>
          Key
          <input value={key} onChange={(e) => setKey(e.currentTarget.value.trim())} placeholder="all keys: full key or key_ref" spellcheck={false} autocomplete="off" size={24} />
        </label>
        {key ? (
          <button type="button" class="link" onClick={() => setKey("")}>
            Show all keys
          </button>
        ) : null}
        <label class="check" title="Arms one 429 (Retry-After: 60) for this key's next submit, to see whether the client waits">
          <input type="checkbox" checked={arm429 && key !== ""} disabled={key === ""} onChange={(e) => setArm429(e.currentTarget.checked)} />
          Also arm one 429 for this key
        </label>
        <button type="button" class="primary" disabled={probing || report?.enabled === false} onClick={probe}>
          Run probe
        </button>
        {probing ? <span class="muted">Probing…</span> : null}
        <span class="hint">The probe resends a delivery to each webhook receiver seen, with the signature, timestamp and body tampered: a receiver that answers 2xx accepts forgeries.</span>
      </form>
      <StatusLine message={action.message} />
      {res.error ? <p class="error-text">{res.error}</p> : null}
      <div class="doctor-split">
        <VirtualTable
          label="Doctor findings"
          count={findings.length}
          row={(i) => findings[i]}
          rowKey={idOf}
          columns={columns}
          selected={(f) => idOf(f) === selectedId}
          empty={report?.enabled === false ? "The doctor is off on this mock (--doctor off)." : "No findings. Run your client against the mock; what it does that would hurt it against the live API shows here."}
        />
        <div class="doctor-notes">
          <section aria-labelledby="doctor-finding-h" tabIndex={0}>
            <h3 class="sub" id="doctor-finding-h">
              Finding
            </h3>
            {selected ? <Detail finding={selected} /> : <p class="empty">Select a rule in the table to read the finding's evidence (journal entry ids, as in Requests).</p>}
          </section>
          <section aria-labelledby="doctor-advice-h" tabIndex={0}>
            <h3 class="sub" id="doctor-advice-h">
              Advice
            </h3>
            {broken.length === 0 ? (
              <p class="empty">Each rule the client breaks is listed here once, with advice and the sentence of the docs it comes from.</p>
            ) : (
              <dl class="advice">
                {broken.map((f) => (
                  <div key={f.rule}>
                    <dt class="mono">{f.rule}</dt>
                    <dd>
                      {f.advice}
                      <blockquote>Docs: “{f.doc}”</blockquote>
                    </dd>
                  </div>
                ))}
              </dl>
            )}
          </section>
        </div>
      </div>
    </Panel>
  );
}
