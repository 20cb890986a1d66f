import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import { errorText, type Api } from "./api.js";
import type { Live } from "./live.js";
import type { EventKind, PageConfig } from "./types.js";

export interface Capabilities {
  /** The mock speaks control API v2: events, accounts listing, schedule, export, key_ref, advance to next. */
  v2: boolean;
}

export interface Env {
  api: Api;
  live: Live;
  config: PageConfig;
  caps: Capabilities;
}

export const EnvContext = createContext<Env | null>(null);

export function useEnv(): Env {
  const env = useContext(EnvContext);
  if (!env) throw new Error("EnvContext missing");
  return env;
}

export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  reload: () => void;
}

/** Reloads at most this often, however fast events come. */
const MIN_GAP_MS = 200;

/**
 * Data from the control API that reloads when `deps` change and when the
 * live feed reports one of `kinds` (or polls). Reloads never overlap, come
 * at most every 200 ms, and an answer older than the latest request is dropped.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, kinds: readonly EventKind[], deps: readonly unknown[], paused = false): Resource<T> {
  const { live } = useEnv();
  const [state, setState] = useState<{ data: T | undefined; error: string | null }>({ data: undefined, error: null });
  const r = useRef({ load, inFlight: false, dirty: false, last: 0, timer: 0 as ReturnType<typeof setTimeout> | 0, seq: 0, alive: true, abort: null as AbortController | null });
  r.current.load = load;

  const run = () => {
    const s = r.current;
    if (!s.alive) return;
    if (s.inFlight) {
      s.dirty = true;
      return;
    }
    const wait = s.last + MIN_GAP_MS - Date.now();
    if (wait > 0) {
      if (!s.timer) s.timer = setTimeout(() => ((s.timer = 0), run()), wait);
      return;
    }
    s.inFlight = true;
    s.dirty = false;
    s.last = Date.now();
    const seq = ++s.seq;
    const abort = (s.abort = new AbortController());
    s.load(abort.signal)
      .then((data) => seq === s.seq && s.alive && setState({ data, error: null }))
      .catch((e: unknown) => seq === s.seq && s.alive && !abort.signal.aborted && setState((p) => ({ data: p.data, error: errorText(e) })))
      .finally(() => {
        if (seq !== s.seq) return;
        s.inFlight = false;
        if (s.dirty) run();
      });
  };

  // New deps: the answer in flight is for the old ones.
  useEffect(() => {
    const s = r.current;
    s.abort?.abort();
    s.inFlight = false;
    s.last = 0;
    run();
  }, deps);

  useEffect(() => {
    if (paused) return;
    return live.on(kinds, () => run());
  }, [paused, kinds.join()]);

  useEffect(
    () => () => {
      r.current.alive = false;
      r.current.abort?.abort();
      if (r.current.timer) clearTimeout(r.current.timer);
    },
    [],
  );

  return { ...state, reload: run };
}

/** Re-renders every `ms` while `on`, for clocks that tick between server answers. */
export function useTick(ms: number, on: boolean): number {
  const [t, setT] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const id = setInterval(() => setT(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms, on]);
  return t;
}

/** Runs an action, reporting its outcome or error as one line for a status region. */
export function useAction(): { message: { text: string; error: boolean } | null; run: (fn: () => Promise<string>) => Promise<void>; clear: () => void } {
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  return {
    message,
    clear: () => setMessage(null),
    run: async (fn) => {
      try {
        setMessage({ text: await fn(), error: false });
      } catch (e) {
        setMessage({ text: errorText(e), error: true });
      }
    },
  };
}
