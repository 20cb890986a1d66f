import { useState } from "preact/hooks";
import { Panel, StatusLine } from "./components.js";
import { maskKey, plain } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { ArmedScenario, ScenarioInfo, ScenariosView } from "./types.js";

const KINDS = ["scenario"] as const;

/** The registry with outcomes; arm for one key or all keys with a count; disarm one or all. */
export function ScenariosPanel() {
  const { api, config } = useEnv();
  const res = useResource((signal) => api.get<ScenariosView>("/scenarios", {}, signal), KINDS, []);
  const registry: ScenarioInfo[] = res.data?.registry ?? config.scenarios;
  const armed = res.data?.armed ?? [];
  const [scenario, setScenario] = useState("job_failed");
  const [key, setKey] = useState("");
  const [count, setCount] = useState("1");
  const action = useAction();
  const chosen = registry.find((s) => s.name === scenario);

  const arm = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { scenario, count: Number(count) };
      if (key.trim()) body.key = key.trim();
      const a = await api.post<ArmedScenario>("/scenarios", body);
      res.reload();
      return `Armed ${a.scenario} for ${a.key === null ? "all keys" : maskKey(a.key)}, ${a.remaining} submit${a.remaining === 1 ? "" : "s"}.`;
    });
  };
  const disarm = (a: ArmedScenario) =>
    action.run(async () => {
      await api.del("/scenarios", { id: a.id });
      res.reload();
      return `Disarmed ${a.scenario}.`;
    });
  const disarmAll = () =>
    action.run(async () => {
      const r = await api.del<{ disarmed: number }>("/scenarios", {});
      res.reload();
      return `Disarmed ${r.disarmed}.`;
    });

  return (
    <Panel
      id="scenarios"
      title="Scenarios"
      actions={
        <button type="button" onClick={disarmAll} disabled={armed.length === 0}>
          Disarm all
        </button>
      }
    >
      <form class="row-form" onSubmit={arm}>
        <label>
          Scenario
          <select value={scenario} onChange={(e) => setScenario(e.currentTarget.value)}>
            {registry.map((s) => (
              <option value={s.name}>{s.name}</option>
            ))}
          </select>
        </label>
        <label>
          Key
          <input value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="all keys" spellcheck={false} autocomplete="off" size={22} />
        </label>
        <label>
          Count
          <input type="number" min={1} value={count} onInput={(e) => setCount(e.currentTarget.value)} class="narrow" />
        </label>
        <button type="submit" class="primary">
          Arm
        </button>
      </form>
      {chosen?.outcome ? <p class="hint">{plain(chosen.outcome)}</p> : null}
      <StatusLine message={action.message} />
      <h3 class="sub">Armed</h3>
      {armed.length === 0 ? (
        <p class="empty">Nothing armed. Submits behave normally unless they carry X-Mock-Scenario or a magic image host.</p>
      ) : (
        <ul class="armed" aria-label="Armed scenarios">
          {armed.map((a) => (
            <li key={a.id}>
              <span class="mono" id={`armed-${a.id}`}>
                {a.scenario}
              </span>
              <span>{a.key === null ? "all keys" : maskKey(a.key)}</span>
              <span class="count">{a.remaining} left</span>
              <button type="button" aria-describedby={`armed-${a.id}`} onClick={() => void disarm(a)}>
                Disarm
              </button>
            </li>
          ))}
        </ul>
      )}
      <details class="registry">
        <summary>All {registry.length} scenarios and their outcomes</summary>
        <dl>
          {registry.map((s) => (
            <div key={s.name}>
              <dt class="mono">{s.name}</dt>
              <dd>
                {plain(s.outcome) || "—"}
                {s.magic_host ? <span class="mono muted"> · {s.magic_host}</span> : null}
              </dd>
            </div>
          ))}
        </dl>
      </details>
    </Panel>
  );
}
