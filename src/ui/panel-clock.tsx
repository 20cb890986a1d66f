import { useState } from "preact/hooks";
import { HttpError, type Api } from "./api.js";
import { Badge, Panel, StatusLine } from "./components.js";
import { clockDateTime, clockTime, duration, maskKey, relative, shortId } from "./format.js";
import { useAction, useEnv, useResource, useTick, type Resource } from "./hooks.js";
import type { ClockView, JobsPage, Schedule, ScheduledEvent } from "./types.js";

export interface ClockState {
  view: ClockView;
  /** Wall time of the answer, to run the display on between answers. */
  at: number;
}

const PRESETS = [
  { id: "10s", label: "10 s", ms: 10_000 },
  { id: "1m", label: "1 min", ms: 60_000 },
  { id: "1h", label: "1 h", ms: 3_600_000 },
  { id: "24h", label: "24 h", ms: 86_400_000 },
  { id: "next", label: "to the next scheduled event", ms: null },
] as const;

const SCHEDULE_KINDS = ["job", "clock", "delivery", "request"] as const;
const SCHEDULE_LIMIT = 50;
const TYPE_LABEL: Record<ScheduledEvent["type"], string> = { processing: "processing", terminal: "finishes", webhook: "webhook", expire: "expires" };

/** An older mock has no /__mock/schedule: the same list follows from the jobs' timelines. */
async function scheduleFromJobs(api: Api, now: number, signal: AbortSignal): Promise<Schedule> {
  const { jobs } = await api.get<JobsPage>("/jobs", {}, signal);
  const events: ScheduledEvent[] = [];
  const add = (iso: string, type: ScheduledEvent["type"], job_id: string, key: string) => {
    const at_ms = Date.parse(iso);
    if (at_ms > now) events.push({ at: iso, at_ms, type, job_id, key });
  };
  for (const j of jobs) {
    add(j.processing_at, "processing", j.job_id, j.key);
    add(j.finished_at, "terminal", j.job_id, j.key);
    if (j.webhook_url) add(j.finished_at, "webhook", j.job_id, j.key);
    add(j.expires_at, "expire", j.job_id, j.key);
  }
  events.sort((a, b) => a.at_ms - b.at_ms);
  return { now_ms: now, events: events.slice(0, SCHEDULE_LIMIT) };
}

/** Virtual now, freeze and resume, advance by a preset or to the next scheduled event, and what is scheduled. */
export function ClockPanel(props: { clock: Resource<ClockState> }) {
  const { api, caps } = useEnv();
  const c = props.clock.data;
  const frozen = c?.view.frozen ?? false;
  const tick = useTick(1000, c !== undefined && !frozen);
  const now = c ? (frozen ? c.view.now_ms : c.view.now_ms + Math.max(0, tick - c.at)) : null;
  const [preset, setPreset] = useState<(typeof PRESETS)[number]["id"]>("1m");
  const action = useAction();
  const schedule = useResource(
    (signal) => (caps.v2 ? api.get<Schedule>("/schedule", { limit: SCHEDULE_LIMIT }, signal) : scheduleFromJobs(api, c?.view.now_ms ?? Date.now(), signal)),
    SCHEDULE_KINDS,
    [c?.view.now_ms, frozen],
  );
  const events = schedule.data?.events ?? [];

  const done = (v: ClockView, what: string) => {
    props.clock.reload();
    schedule.reload();
    return `${what}. Virtual now ${clockDateTime(v.now_ms)}${v.frozen ? ", frozen" : ""}.`;
  };
  const advance = () =>
    action.run(async () => {
      const p = PRESETS.find((x) => x.id === preset)!;
      if (p.ms !== null) return done(await api.post<ClockView>("/clock/advance", { ms: p.ms }), `Advanced ${p.label}`);
      if (caps.v2) {
        try {
          return done(await api.post<ClockView>("/clock/advance", { to: "next" }), "Advanced to the next scheduled event");
        } catch (e) {
          if (!(e instanceof HttpError) || e.status !== 400) throw e;
        }
      }
      // Without {to:"next"} on the server, the gap is taken from the schedule shown.
      const next = events[0];
      if (!next || now === null) return "Nothing is scheduled.";
      const ms = Math.max(0, Math.ceil(next.at_ms - (c?.view.now_ms ?? now)));
      return done(await api.post<ClockView>("/clock/advance", { ms }), `Advanced ${duration(ms)} to the next scheduled event`);
    });

  return (
    <Panel id="clock" title="Clock" actions={c ? <Badge tone={frozen ? "wait" : "ok"}>{frozen ? "Frozen" : "Running"}</Badge> : null}>
      <p class="now">
        <span class="muted">Virtual now </span>
        <time class="mono big" dateTime={now === null ? undefined : new Date(now).toISOString()}>
          {now === null ? "…" : clockDateTime(now)}
        </time>
      </p>
      <div class="row-form">
        <button type="button" onClick={() => void action.run(async () => done(await api.post<ClockView>("/clock/freeze"), "Frozen"))}>
          Freeze
        </button>
        <button type="button" onClick={() => void action.run(async () => done(await api.post<ClockView>("/clock/resume"), "Resumed"))}>
          Resume
        </button>
      </div>
      <fieldset class="presets">
        <legend>Advance by</legend>
        {PRESETS.map((p) => (
          <label key={p.id}>
            <input type="radio" name="advance-preset" value={p.id} checked={preset === p.id} onChange={() => setPreset(p.id)} />
            {p.label}
          </label>
        ))}
        <button type="button" class="primary" onClick={() => void advance()}>
          Advance
        </button>
      </fieldset>
      <StatusLine message={action.message} />
      <h3 class="sub">Scheduled</h3>
      {events.length === 0 ? (
        <p class="empty">Nothing scheduled: no job is waiting for a transition, webhook or expiry.</p>
      ) : (
        <ol class="schedule" aria-label="Scheduled events, soonest first" tabIndex={0}>
          {events.map((e) => (
            <li key={`${e.job_id}-${e.type}-${e.at_ms}`}>
              <span class="mono">{clockTime(e.at_ms)}</span>
              <span class="muted">{now === null ? "" : relative(e.at_ms, now)}</span>
              <span>{TYPE_LABEL[e.type]}</span>
              <span class="mono" title={`job ${e.job_id}, key ${maskKey(e.key)}`}>
                {shortId(e.job_id)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </Panel>
  );
}
