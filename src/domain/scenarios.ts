/**
 * The scenarios: failures the API answers. Each is reachable by the
 * X-Mock-Scenario header, by a magic image host `<name>.scenario.test`, and
 * by arming it through the control API. Together with the transport faults
 * (faults.ts) they make the one registry (registry.ts) that the README's
 * tables, the control API, header and magic-host parsing and arming read.
 */
import type { Model } from "./catalog.js";

/** Where an armed scenario or fault applies. */
export const PHASES = ["submit", "poll", "result", "webhook"] as const;
export type Phase = (typeof PHASES)[number];

export interface ScenarioSpec {
  /** What the client sees, for the README and the control API. */
  readonly outcome: string;
  /** The submits it has an effect on (default: every submit); an armed scenario is used up only by these. */
  readonly appliesTo?: (model: Model) => boolean;
  /** Phases besides submit where it answers a request itself (a poll). */
  readonly alsoAt?: readonly Phase[];
}

export const SCENARIOS = {
  job_failed: { outcome: "The job ends `failed`, with `logs` and `error`." },
  submission_error: { outcome: "502 `SUBMISSION_ERROR`; the credits are refunded (balance unchanged)." },
  status_error: { outcome: "The job's next 3 polls get 502 `STATUS_ERROR`; then it answers normally. At the poll phase: that poll gets 502 `STATUS_ERROR`.", alsoAt: ["poll"] },
  slow_queue: { outcome: "Queued for 3 minutes of virtual time; `queue_position` counts down from 30." },
  stuck: { outcome: "Stays `processing` for 10 minutes of virtual time, then fails." },
  rate_limited: { outcome: "429 `RATE_LIMIT_EXCEEDED` with `Retry-After: 60`; nothing charged (on a submit or a poll).", alsoAt: ["poll"] },
  insufficient_credits: { outcome: "402 `INSUFFICIENT_CREDITS` \"Insufficient credits. Required: N, available: 0.\"; nothing charged." },
  image_fetch_403: { outcome: "400 `IMAGE_ERROR` \"Image error: Failed to fetch image: HTTP 403\"." },
  image_fetch_404: { outcome: "400 `IMAGE_ERROR` \"Image error: Failed to fetch image: HTTP 404\"." },
  image_too_large: { outcome: "400 `IMAGE_ERROR` \"Image error: Image exceeds 10 MB\"." },
  private_url: { outcome: "400 `IMAGE_ERROR` \"Image error: Private URLs not allowed\"." },
  nsfw: {
    outcome: "Moderation models report `is_nsfw: true` (and `nsfw_probability` ≥ 0.9 for imageutils/nsfw).",
    appliesTo: (m) => m.kind === "vision" && m.family === "moderation",
  },
} as const satisfies Record<string, ScenarioSpec>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
export const MAGIC_HOST_SUFFIX = ".scenario.test";
export const MAGIC_FAULT_SUFFIX = ".fault.test";

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}

/** `job-failed` and `job_failed` both name job_failed, since strict hostname checks reject underscores. */
export function normaliseScenarioName(name: string): string {
  return name.trim().toLowerCase().replace(/-/g, "_");
}

/** The scenario (`<name>.scenario.test`) or fault (`<name>.fault.test`) a magic image host names, or null when the URL is not magic. */
/** A magic host ends in ".test"; a URL that cannot spell it (not even escaped or in another script) is not parsed. */
const CANNOT_BE_MAGIC = (url: string) => !/test/i.test(url) && !/[^\x00-\x7f]|%/.test(url);

export function magicFromImageUrl(url: string): { name: string; kind: "scenario" | "fault" } | null {
  if (!url.startsWith("https://") || CANNOT_BE_MAGIC(url)) return null;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
  const suffix = host.endsWith(MAGIC_HOST_SUFFIX) ? MAGIC_HOST_SUFFIX : host.endsWith(MAGIC_FAULT_SUFFIX) ? MAGIC_FAULT_SUFFIX : null;
  if (suffix === null) return null;
  return { name: normaliseScenarioName(host.slice(0, -suffix.length)), kind: suffix === MAGIC_HOST_SUFFIX ? "scenario" : "fault" };
}

export function scenarioAppliesTo(name: ScenarioName, model: Model): boolean {
  const spec: ScenarioSpec = SCENARIOS[name];
  return spec.appliesTo?.(model) ?? true;
}

export interface Armed {
  id: string;
  /** A scenario or fault name from the registry. */
  scenario: string;
  /** null: every key. */
  key: string | null;
  remaining: number;
  phase: Phase;
  /** Fault parameters (ms, count, …), or null. */
  params: Readonly<Record<string, string | number>> | null;
}

export type ArmInput = Omit<Armed, "id" | "remaining"> & { count: number };
export type DisarmFilter = { id?: string; key?: string };

/**
 * Which arming a request uses up: the key's own first, then one for every
 * key, skipping those that do not apply here. Shared by every store.
 */
export function pickArmed<T extends Pick<Armed, "key" | "scenario" | "phase">>(armed: readonly T[], key: string, phase: Phase, applicable: readonly string[]): T | undefined {
  const fits = (x: T) => x.phase === phase && applicable.includes(x.scenario);
  return armed.find((x) => x.key === key && fits(x)) ?? armed.find((x) => x.key === null && fits(x));
}
