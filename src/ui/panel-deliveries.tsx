import { useState } from "preact/hooks";
import { Badge, Panel, StatusLine, VirtualTable, type Column } from "./components.js";
import { clockTime, shortId } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { Delivery, Tamper } from "./types.js";

const KINDS = ["delivery"] as const;

export const isSigned = (d: Delivery) => d.signed ?? Object.keys(d.requestHeaders).some((h) => h.toLowerCase() === "x-artemotion-signature");

function result(d: Delivery): { tone: string; text: string } {
  switch (d.outcome) {
    case "delivered":
      return { tone: "ok", text: `delivered ${d.responseStatus ?? ""}`.trim() };
    case "pending":
      return { tone: "wait", text: "pending" };
    case "http_error":
      return { tone: "bad", text: `HTTP ${d.responseStatus ?? "error"}` };
    case "redirect":
      return { tone: "warn", text: `redirect ${d.responseStatus ?? ""} (not followed)`.trim() };
    default:
      return { tone: "bad", text: d.outcome.replace("_", " ") };
  }
}

/** Every webhook attempt, newest first, with its raw request and a redeliver button (optionally tampered). */
export function DeliveriesPanel(props: { jobFilter: string | null; onClearJob: () => void }) {
  const { api } = useEnv();
  const res = useResource(
    (signal) => api.get<{ deliveries: Delivery[] }>("/webhooks", { job_id: props.jobFilter }, signal).then((r) => [...r.deliveries].sort((a, b) => b.startedAt - a.startedAt || b.id.localeCompare(a.id))),
    KINDS,
    [props.jobFilter],
  );
  const list = res.data ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [tamper, setTamper] = useState<"" | Tamper>("");
  const action = useAction();
  const selected = list.find((d) => d.id === selectedId) ?? null;

  const redeliver = (d: Delivery) =>
    action.run(async () => {
      const n = await api.post<Delivery>(`/webhooks/${encodeURIComponent(d.id)}/redeliver`, tamper ? { tamper } : {});
      res.reload();
      return `Redelivered ${d.id} as ${n.id}${tamper ? `, ${tamper} tampered` : ""}.`;
    });

  const columns: Column<Delivery>[] = [
    {
      label: "Attempt",
      width: "6rem",
      cell: (d) => (
        <button type="button" class="link mono" aria-pressed={d.id === selectedId} onClick={() => setSelectedId(d.id === selectedId ? null : d.id)}>
          {d.id}
        </button>
      ),
    },
    { label: "Time", width: "5rem", cell: (d) => <span class="mono">{clockTime(d.startedAt)}</span> },
    { label: "Event", width: "7.6rem", cell: (d) => d.event },
    { label: "Job", width: "4.8rem", cell: (d) => <span class="mono" title={d.jobId}>{shortId(d.jobId)}</span> },
    { label: "URL", width: "minmax(5rem, 1fr)", cell: (d) => <span class="ellipsis" title={d.url}>{d.url}</span> },
    { label: "Result", width: "8rem", cell: (d) => <Badge tone={result(d).tone} title={d.error ?? undefined}>{result(d).text}</Badge> },
    { label: "Took", width: "3.8rem", cell: (d) => (d.durationMs === null ? "…" : `${d.durationMs} ms`) },
    { label: "Signature", width: "5.8rem", cell: (d) => <Badge tone={isSigned(d) ? "ok" : "plain"}>{isSigned(d) ? "signed" : "unsigned"}</Badge> },
    {
      label: "Attempt of",
      width: "minmax(4.5rem, 0.8fr)",
      cell: (d) => (
        <span class="ellipsis" title={d.redeliveryOf ? `Redelivery of ${d.redeliveryOf}${d.tamper ? `, ${d.tamper} tampered` : ""}` : "First attempt"}>
          {d.redeliveryOf ? `resend${d.tamper ? `, ${d.tamper} tampered` : ""}` : "first"}
        </span>
      ),
    },
  ];

  return (
    <Panel
      id="deliveries"
      title="Webhook deliveries"
      actions={
        props.jobFilter ? (
          <span class="chip">
            job <span class="mono">{shortId(props.jobFilter)}</span>
            <button type="button" class="link" onClick={props.onClearJob}>
              Show all
            </button>
          </span>
        ) : (
          <span class="muted">{list.length} attempts</span>
        )
      }
    >
      <div class="split">
        <VirtualTable label="Webhook delivery attempts" count={list.length} row={(i) => list[i]} rowKey={(d) => d.id} columns={columns} empty="No webhooks sent yet. Submit a job with a webhook_url." selected={(d) => d.id === selectedId} />
        <div class="detail" aria-live="polite">
          {selected ? (
            <>
              <form
                class="row-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void redeliver(selected);
                }}
              >
                <span class="mono">{selected.id}</span>
                <label>
                  Tamper
                  <select value={tamper} onChange={(e) => setTamper(e.currentTarget.value as "" | Tamper)}>
                    <option value="">none</option>
                    <option value="signature">signature</option>
                    <option value="timestamp">timestamp (an hour old)</option>
                    <option value="body">body (changed after signing)</option>
                  </select>
                </label>
                <button type="submit" class="primary">
                  Redeliver
                </button>
                {selected.error ? <span class="error-text">{selected.error}</span> : null}
              </form>
              <div class="raw">
                <div>
                  <h3 class="sub">Request headers</h3>
                  <pre tabIndex={0}>{`POST ${selected.url}\n` + Object.entries(selected.requestHeaders).map(([k, v]) => `${k}: ${v}`).join("\n")}</pre>
                </div>
                <div>
                  <h3 class="sub">Raw body</h3>
                  <pre tabIndex={0}>{selected.requestBody}</pre>
                </div>
              </div>
            </>
          ) : (
            <p class="empty">Select an attempt to see its raw headers and body, and to redeliver it.</p>
          )}
          <StatusLine message={action.message} />
        </div>
      </div>
    </Panel>
  );
}
