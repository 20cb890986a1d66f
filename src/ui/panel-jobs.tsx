import { useRef, useState } from "preact/hooks";
import { Badge, jobTone, Panel, VirtualTable, type Column } from "./components.js";
import { clockTime, duration, maskKey, shortId } from "./format.js";
import { useEnv, useResource } from "./hooks.js";
import type { JobStatus, JobsPage, JobView } from "./types.js";

const KINDS = ["job", "clock"] as const;
/** Rows fetched per request; the server filters and pages, so 10,000 jobs cost a page or two. */
const PAGE = 100;

interface Loaded {
  total: number;
  /** Row index → job, for the pages loaded. */
  rows: Map<number, JobView>;
}

export interface JobLink {
  job_id: string;
  /** key_ref when the server gives one, else the masked key (display only). */
  key: string;
}

/** One step of the timeline, as an offset from submission; a step still to come is marked "due". */
function Step(props: { job: JobView; iso: string; now: number | null; label: string }) {
  const at = Date.parse(props.iso);
  const due = props.now !== null && at > props.now;
  return (
    <span class={due ? "due" : "past"} title={`${props.label} at ${props.iso}${due ? " (still to come)" : ""}`}>
      +{duration(at - Date.parse(props.job.created_at))}
      {due ? <span class="visually-hidden"> (due)</span> : null}
    </span>
  );
}

/** Jobs newest first, per key and status, with their timeline in virtual time and links to their requests and deliveries. */
export function JobsPanel(props: { now: number | null; onRequests: (l: JobLink) => void; onDeliveries: (l: JobLink) => void }) {
  const { api } = useEnv();
  const [key, setKey] = useState("");
  const [status, setStatus] = useState<"" | JobStatus>("");
  const range = useRef({ start: 0, end: 40 });
  const res = useResource(
    async (signal): Promise<Loaded> => {
      const first = Math.floor(range.current.start / PAGE);
      const last = Math.floor(Math.max(range.current.start, range.current.end - 1) / PAGE);
      const rows = new Map<number, JobView>();
      let total = 0;
      for (let p = first; p <= last; p++) {
        const page = await api.get<JobsPage>("/jobs", { key: key.trim(), status, limit: PAGE, offset: p * PAGE }, signal);
        if (page.total === undefined) {
          // An older mock answers every job, oldest first, unfiltered by status.
          const all = page.jobs.filter((j) => !status || j.status === status).sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
          all.forEach((j, i) => rows.set(i, j));
          return { total: all.length, rows };
        }
        total = page.total;
        page.jobs.forEach((j, i) => rows.set(p * PAGE + i, j));
      }
      return { total, rows };
    },
    KINDS,
    [key, status],
  );
  const data = res.data;
  const onRange = (start: number, end: number) => {
    range.current = { start, end };
    if (!data) return;
    for (let i = start; i < Math.min(end, data.total); i++) if (!data.rows.has(i)) return res.reload();
  };
  const link = (j: JobView): JobLink => ({ job_id: j.job_id, key: j.key_ref ?? j.key });

  const columns: Column<JobView>[] = [
    { label: "Job", width: "4.8rem", cell: (j) => <span class="mono" title={j.job_id}>{shortId(j.job_id)}</span> },
    { label: "Key", width: "9.6rem", cell: (j) => <span class="mono">{maskKey(j.key)}</span> },
    { label: "Model", width: "minmax(5rem, 1.6fr)", cell: (j) => <span class="ellipsis" title={j.model_id}>{j.model_id}</span> },
    { label: "Status", width: "6.6rem", cell: (j) => <Badge tone={jobTone(j.status)}>{j.status}</Badge> },
    // The timeline in virtual time (UTC): when it was queued, then each later step as an offset from then.
    { label: "Queued", width: "5rem", cell: (j) => <span class="mono">{clockTime(Date.parse(j.created_at))}</span> },
    { label: "Processing", width: "minmax(5.4rem, 1fr)", cell: (j) => <Step job={j} iso={j.processing_at} now={props.now} label="processing" /> },
    { label: "Finished", width: "minmax(4.2rem, 1fr)", cell: (j) => <Step job={j} iso={j.finished_at} now={props.now} label={j.status === "failed" ? "failed" : "completed"} /> },
    { label: "Expires", width: "minmax(4.2rem, 1fr)", cell: (j) => <Step job={j} iso={j.expires_at} now={props.now} label="expires" /> },
    {
      label: "Links",
      width: "10.4rem",
      cell: (j) => (
        <span class="links">
          <a href="#requests" aria-label={`Requests of job ${j.job_id}`} onClick={() => props.onRequests(link(j))}>
            requests
          </a>
          <a href="#deliveries" aria-label={`Deliveries of job ${j.job_id}`} onClick={() => props.onDeliveries(link(j))}>
            deliveries
          </a>
        </span>
      ),
    },
  ];

  return (
    <Panel id="jobs" title="Jobs" actions={<span class="muted">{data ? `${data.total} job${data.total === 1 ? "" : "s"}` : "…"}</span>}>
      <form class="row-form" onSubmit={(e) => e.preventDefault()}>
        <label>
          Key
          <input value={key} onChange={(e) => setKey(e.currentTarget.value)} placeholder="any key (full key or key_ref)" spellcheck={false} autocomplete="off" size={26} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as "" | JobStatus)}>
            <option value="">any</option>
            <option value="queued">queued</option>
            <option value="processing">processing</option>
            <option value="completed">completed</option>
            <option value="failed">failed</option>
          </select>
        </label>
      </form>
      {res.error ? <p class="error-text">{res.error}</p> : null}
      <VirtualTable label="Jobs, newest first" count={data?.total ?? 0} row={(i) => data?.rows.get(i)} rowKey={(j) => j.job_id} columns={columns} empty="No jobs yet. Submit one to /api/v1/tryon, /vision or /generate." onRange={onRange} />
    </Panel>
  );
}
