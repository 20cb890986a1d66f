import { useRef, useState } from "preact/hooks";
import type { Api } from "./api.js";
import { StatusLine } from "./components.js";
import { maskKey } from "./format.js";
import { useAction, useEnv } from "./hooks.js";
import type { ClockView, Delivery, JobsPage, RequestEntry, ScenariosView } from "./types.js";

/** An older mock has no /__mock/export: the same file is put together from the listings. */
async function exportFromListings(api: Api): Promise<unknown> {
  const [clock, scenarios, jobs, webhooks, requests] = await Promise.all([
    api.get<ClockView>("/clock"),
    api.get<ScenariosView>("/scenarios"),
    api.get<JobsPage>("/jobs"),
    api.get<{ deliveries: Delivery[] }>("/webhooks"),
    api.get<{ requests: RequestEntry[] }>("/requests", { limit: 1_000_000 }),
  ]);
  // That mock lists armed scenarios and deliveries with raw keys: a bug report must not carry them.
  const armed = scenarios.armed.map((a) => ({ ...a, key: a.key === null ? null : maskKey(a.key) }));
  const deliveries = webhooks.deliveries.map((d) => ({ ...d, key: maskKey(d.key) }));
  return { exported_at: new Date().toISOString(), clock, accounts: null, armed, jobs: jobs.jobs, deliveries, requests: requests.requests };
}

function download(name: string, json: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(json, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reset (after a confirmation) and Export of the whole session as one JSON file for bug reports. */
export function SessionControls(props: { onReset: () => void }) {
  const { api, caps } = useEnv();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const action = useAction();

  const exportSession = () =>
    action.run(async () => {
      setBusy(true);
      try {
        const json = caps.v2 ? await api.get<unknown>("/export") : await exportFromListings(api);
        const name = `artemotion-mock-session-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
        download(name, json);
        return `Exported ${name}.`;
      } finally {
        setBusy(false);
      }
    });
  const reset = () =>
    action.run(async () => {
      dialog.current?.close();
      await api.post("/reset", {});
      props.onReset();
      return "Reset: every key, job, delivery, armed scenario and the journal are gone.";
    });

  return (
    <div class="session">
      <button type="button" onClick={() => dialog.current?.showModal()}>
        Reset
      </button>
      <button type="button" onClick={() => void exportSession()} disabled={busy}>
        Export
      </button>
      <StatusLine message={action.message} />
      <dialog ref={dialog} aria-labelledby="reset-h" class="confirm">
        <h2 id="reset-h">Reset the mock?</h2>
        <p>This forgets every key, job, webhook delivery, armed scenario and the request journal. It cannot be undone.</p>
        <div class="row-form">
          <button type="button" class="danger" onClick={() => void reset()}>
            Confirm reset
          </button>
          <button type="button" autofocus onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </div>
  );
}
