import { useState } from "preact/hooks";
import { Panel, StatusLine } from "./components.js";
import { maskKey, plain } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { ArmedScenario, ScenarioInfo, ScenariosView } from "./types.js";

const KINDS = ["scenario"] as const;

const PHASE_NOUN: Record<string, string> = { submit: "submit", poll: "poll", result: "result download", webhook: "webhook" };
const uses = (n: number, phase: string | undefined) => `${n} ${PHASE_NOUN[phase ?? "submit"] ?? phase}${n === 1 ? "" : "s"}`;

const paramText = (p: ArmedScenario["params"]) =>
  p && Object.keys(p).length > 0
    ? `; ${Object.entries(p)
        .map(([k, v]) => `${k}=${v}`)
        .join("; ")}`
    : "";

/**
 * The one registry (scenarios and transport faults) with outcomes; arm an
 * entry for one key or all keys, for one of its phases, with a count and the
 * fault's parameters; disarm one or all.
 */
export function ScenariosPanel() {
  const { api, config } = useEnv();
  const res = useResource((signal) => api.get<ScenariosView>("/scenarios", {}, signal), KINDS, []);
  const registry: ScenarioInfo[] = res.data?.registry ?? config.scenarios;
  const armed = res.data?.armed ?? [];
  const [scenario, setScenario] = useState("job_failed");
  const [key, setKey] = useState("");
  const [count, setCount] = useState("1");
  const [phase, setPhase] = useState("");
  const [params, setParams] = useState<Record<string, string>>({});
  const action = useAction();
  const chosen = registry.find((s) => s.name === scenario);
  const phases = chosen?.phases ?? [];
  const paramSpecs = Object.entries(chosen?.params ?? {});
  // A phase chosen for another entry falls back to this one's default (its first).
  const armPhase = (phases as string[]).includes(phase) ? phase : (phases[0] ?? "");
  const faults = registry.filter((s) => s.kind === "fault");
  const scenarios = registry.filter((s) => s.kind !== "fault");

  const choose = (name: string) => {
    setScenario(name);
    setParams({});
  };
  const arm = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { scenario, count: Number(count) };
      if (key.trim()) body.key = key.trim();
      if (phases.length > 1) body.phase = armPhase;
      const given = Object.fromEntries(Object.entries(params).filter(([p, v]) => v.trim() !== "" && chosen?.params?.[p]));
      if (Object.keys(given).length > 0) body.params = Object.fromEntries(Object.entries(given).map(([p, v]) => [p, Number(v)]));
      const a = await api.post<ArmedScenario>("/scenarios", body);
      res.reload();
      return `Armed ${a.scenario}${paramText(a.params)} for ${a.key === null ? "all keys" : maskKey(a.key)}, the next ${uses(a.remaining, a.phase)}.`;
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
  const option = (s: ScenarioInfo) => (
    <option value={s.name}>
      {s.name}
      {s.beyond_docs ? " (beyond the docs)" : ""}
    </option>
  );

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
          <select value={scenario} onChange={(e) => choose(e.currentTarget.value)}>
            {faults.length === 0 ? (
              registry.map(option)
            ) : (
              <>
                <optgroup label="Scenarios: failures the API answers">{scenarios.map(option)}</optgroup>
                <optgroup label="Faults: failures the network causes">{faults.map(option)}</optgroup>
              </>
            )}
          </select>
        </label>
        {phases.length > 0 ? (
          <label>
            Phase
            <select value={armPhase} onChange={(e) => setPhase(e.currentTarget.value)} disabled={phases.length === 1} title={phases.length === 1 ? `${scenario} applies to ${phases[0]} only` : undefined}>
              {phases.map((p) => (
                <option value={p}>{p}</option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          Key
          <input value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="all keys" spellcheck={false} autocomplete="off" size={22} />
        </label>
        <label>
          Count
          <input type="number" min={1} value={count} onInput={(e) => setCount(e.currentTarget.value)} class="narrow" />
        </label>
        {paramSpecs.map(([p, d]) => (
          <label title={`${d.help}: ${d.min} to ${d.max}`}>
            {p}
            <input
              type="number"
              min={d.min}
              max={d.max}
              step="any"
              value={params[p] ?? ""}
              placeholder={d.default === null ? "none" : String(d.default)}
              onInput={(e) => setParams({ ...params, [p]: e.currentTarget.value })}
              class="narrow"
            />
          </label>
        ))}
        <button type="submit" class="primary">
          Arm
        </button>
      </form>
      {chosen?.outcome ? <p class="hint">{plain(chosen.outcome)}</p> : null}
      <StatusLine message={action.message} />
      <h3 class="sub">Armed</h3>
      {armed.length === 0 ? (
        <p class="empty">Nothing armed. Requests behave normally unless they carry X-Mock-Scenario, X-Mock-Fault or a magic image host, or chaos is on.</p>
      ) : (
        <ul class="armed" aria-label="Armed scenarios">
          {armed.map((a) => (
            <li key={a.id}>
              <span title={`${a.scenario}${paramText(a.params)}, ${a.phase ?? "submit"} phase`}>
                <span class="mono" id={`armed-${a.id}`}>
                  {a.scenario}
                  {paramText(a.params)}
                </span>
                {a.phase && a.phase !== "submit" ? <span class="phase-tag">{a.phase}</span> : null}
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
        <summary>
          All {registry.length} {faults.length > 0 ? "scenarios and faults" : "scenarios"} and their outcomes
        </summary>
        <dl>
          {registry.map((s) => (
            <div key={s.name}>
              <dt class="mono">{s.name}</dt>
              <dd>
                {plain(s.outcome) || "—"}
                {s.phases && s.phases.length > 0 ? <span class="muted"> · phases: {s.phases.join(", ")}</span> : null}
                {s.magic_host ? <span class="mono muted"> · {s.magic_host}</span> : null}
              </dd>
            </div>
          ))}
        </dl>
      </details>
    </Panel>
  );
}
