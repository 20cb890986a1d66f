/**
 * The one registry of everything the mock can break on purpose: the
 * scenarios (failures the API answers) and the faults (failures the network
 * causes). The README's tables, GET /__mock/scenarios, header and magic-host
 * parsing, arming and chaos profiles all read it.
 */
import { FAULTS, type FaultParam, type FaultSpec } from "./faults.js";
import { MAGIC_FAULT_SUFFIX, MAGIC_HOST_SUFFIX, SCENARIOS, normaliseScenarioName, type Phase, type ScenarioSpec } from "./scenarios.js";

export interface RegistryEntry {
  readonly name: string;
  readonly kind: "scenario" | "fault";
  readonly outcome: string;
  /** Phases it can be armed for (or hit by chaos); the first is an arming's default. */
  readonly phases: readonly Phase[];
  readonly beyondDocs: boolean;
  /** The magic image host that names it on a submit. */
  readonly magicHost: string;
  readonly params: Readonly<Record<string, FaultParam>>;
}

const hostOf = (name: string, suffix: string) => `${name.replace(/_/g, "-")}${suffix}`;

export const REGISTRY: readonly RegistryEntry[] = Object.freeze([
  ...Object.entries(SCENARIOS).map(([name, s]: [string, ScenarioSpec]) => ({
    name, kind: "scenario" as const, outcome: s.outcome, phases: ["submit" as Phase, ...(s.alsoAt ?? [])], beyondDocs: false,
    magicHost: hostOf(name, MAGIC_HOST_SUFFIX), params: {},
  })),
  ...Object.entries(FAULTS).map(([name, f]: [string, FaultSpec]) => ({
    name, kind: "fault" as const, outcome: f.outcome, phases: f.phases, beyondDocs: f.beyondDocs === true,
    magicHost: hostOf(name, MAGIC_FAULT_SUFFIX), params: f.params,
  })),
]);

const BY_NAME: ReadonlyMap<string, RegistryEntry> = new Map(REGISTRY.map((e) => [e.name, e]));
export const REGISTRY_NAMES: readonly string[] = REGISTRY.map((e) => e.name);

/** The entry a name (either spelling) refers to, or undefined. */
export function registryEntry(name: string): RegistryEntry | undefined {
  return BY_NAME.get(normaliseScenarioName(name));
}

const armable = (phase: Phase) => REGISTRY.filter((e) => e.phases.includes(phase) && (phase !== "submit" || e.kind === "fault")).map((e) => e.name);
const ARMABLE: Record<Phase, readonly string[]> = { submit: armable("submit"), poll: armable("poll"), result: armable("result"), webhook: armable("webhook") };

/** Names that a request of this phase may use up from the armed list, beside the store's own submit scenarios. */
export function armableAt(phase: Phase): readonly string[] {
  return ARMABLE[phase];
}
