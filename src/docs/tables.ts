import { GENERATE_MODELS, TRYON_MODELS, VISION_MODELS } from "../domain/catalog.js";
import { RULES } from "../doctor/rules.js";
import { ERRORS } from "../domain/errors.js";
import { CHAOS_PROFILES, CHAOS_PROFILE_NAMES, chaosCandidates } from "../domain/chaos.js";
import { RATE_LIMITS } from "../domain/rate-limits.js";
import { REGISTRY } from "../domain/registry.js";
import { PHASES } from "../domain/scenarios.js";
import { OPTION_DOCS } from "../options.js";

/**
 * README tables rendered from their one source. `npm run docs` writes them
 * between `<!-- generated:NAME -->` markers; test/readme.test.ts fails when the
 * README is stale.
 */
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
const code = (s: string) => `\`${s}\``;

export const README_TABLES: Record<string, () => string> = {
  options: () => table(["flag", "env", "default", "what it does"], OPTION_DOCS.map((d) => [code(d.flag), d.env ? code(d.env) : "", d.default, d.help])),
  scenarios: () =>
    table(["scenario", "magic image host", "outcome"], REGISTRY.filter((e) => e.kind === "scenario").map((e) => [code(e.name), code(e.magicHost), e.outcome])),
  faults: () =>
    table(
      ["fault", "phases", "params (default)", "magic image host", "outcome"],
      REGISTRY.filter((e) => e.kind === "fault").map((e) => [
        code(e.name) + (e.beyondDocs ? " *(beyond the docs)*" : ""),
        e.phases.join(", "),
        Object.entries(e.params).map(([p, d]) => (d.default === null ? code(p) : `${code(p)} (${d.default})`)).join(", "),
        code(e.magicHost),
        e.outcome,
      ]),
    ),
  "chaos-profiles": () =>
    table(
      ["profile", ...PHASES, "what it models"],
      CHAOS_PROFILE_NAMES.map((n) => [code(n), ...PHASES.map((p) => chaosCandidates(n, p).join(", ")), CHAOS_PROFILES[n].about]),
    ),
  errors: () => table(["code", "HTTP", "when"], Object.entries(ERRORS).map(([c, e]) => [code(c), String(e.status), ERROR_WHEN[c] ?? ""])),
  models: () =>
    table(
      ["model_id", "kind", "credits", "prompt"],
      [...TRYON_MODELS, ...VISION_MODELS, ...GENERATE_MODELS].map((m) => [
        code(m.id), m.kind, String(m.credits),
        m.kind === "vision" ? (m.prompt === "not_used" ? "not used" : `${m.prompt} (${code(m.promptField)})`) : m.kind === "generate" ? `required (${code("prompt")})` : "",
      ]),
    ),
  "doctor-rules": () => table(["rule", "severity", "what the client did", "the docs say"], RULES.map((r) => [code(r.id), r.severity, r.title, `"${r.doc.replace(/\|/g, "\\|")}"`])),
  "rate-limits": () => table(["bucket", "per key per minute"], Object.entries(RATE_LIMITS).map(([b, n]) => [b === "poll" ? "polls (GET /jobs)" : `POST /${b}`, String(n)])),
};

const ERROR_WHEN: Record<string, string> = {
  INVALID_REQUEST: "Missing or malformed field, bad or non-JSON body, http:// or malformed URL, unknown scenario name.",
  INVALID_MODEL: "Unknown model_id (on submit or poll).",
  MISSING_FIELD: "The model requires a field that wasn't provided (prompt, object).",
  IMAGE_ERROR: "Private/loopback image host, data: URL over 10 MB or not JPEG/PNG/WebP, image scenarios.",
  UNAUTHORIZED: "Missing Authorization header, malformed or deleted key, wrong admin token.",
  INSUFFICIENT_CREDITS: "Balance below the model's cost. Nothing is charged.",
  FORBIDDEN: "Mock only (never sent by the live API): /__mock, the dashboard or /docs reached through a Host not allowed by --allowed-hosts, or a cross-site browser call to /__mock.",
  NOT_FOUND: "Unknown route; unknown, expired or another key's job; job polled with another model_id.",
  METHOD_NOT_ALLOWED: "Wrong method on a known path; the Allow header lists the right ones.",
  PAYLOAD_TOO_LARGE: "Body over --body-limit (32 MiB by default).",
  RATE_LIMIT_EXCEEDED: "Over the per-key limit; Retry-After says when to retry.",
  INTERNAL_ERROR: "A bug in the mock (never expected; reported with the request in the log).",
  SUBMISSION_ERROR: "Scenario submission_error; credits are refunded.",
  STATUS_ERROR: "Scenario status_error while polling.",
  STORE_UNAVAILABLE: "Mock only (never sent by the live API): the mock's Redis store (--store redis://…) is unreachable; Retry-After says when to try again. A submit either happened whole (charged, with its job) or not at all.",
};

/** Replaces every generated block in a README text. */
export function renderReadme(text: string): string {
  // The body may be empty (a freshly added block): everything up to the first close marker is replaced.
  return text.replace(/(<!-- generated:([\w-]+) -->\n)[\s\S]*?(<!-- \/generated -->)/g, (all, open: string, name: string, close: string) => {
    const render = README_TABLES[name];
    return render ? `${open}${render()}\n${close}` : all;
  });
}
