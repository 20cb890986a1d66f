import { documented } from "./shape.js";
import type { Difference } from "./types.js";

const v = (x: unknown) => (typeof x === "string" ? x : JSON.stringify(x));

/** The operation and status of a `where` such as "submitVision 202", for looking the path up in the spec. */
function opOf(where: string): { op: string; status: number } | null {
  const m = /^(\w+) (\d{3})$/.exec(where);
  if (m) return { op: m[1]!, status: Number(m[2]) };
  return where.startsWith("webhook") ? { op: "webhook", status: 0 } : null;
}

/**
 * One proposed change per difference: to openapi.yaml where the spec is
 * what disagrees with the recorded target, to the mock where the mock is.
 */
export function proposalFor(diff: Omit<Difference, "proposal">, label = diff.where): string {
  const at = opOf(diff.where);
  const spec = at ? documented(at.op, at.status).get(diff.path) : undefined;
  const d = { ...diff, where: label };
  switch (d.kind) {
    case "status":
      return `openapi.yaml + mock: the recorded target answers ${v(d.recorded)} where the mock answers ${v(d.mock)} (${d.where}); document that status for the operation and make the mock answer it for this request.`;
    case "content-type":
      return `mock: answer ${d.where} as ${v(d.recorded)}, like the recorded target (the mock sends ${v(d.mock)}).`;
    case "field-missing":
      return spec?.required
        ? `openapi.yaml: \`${d.path}\` is required on ${d.where} but the recorded target does not send it; make it optional, and have the mock leave it out too.`
        : `mock: stop sending \`${d.path}\` on ${d.where}; the recorded target does not send it, so clients built against the mock would break.`;
    case "field-extra":
      return spec
        ? `mock: send \`${d.path}\` (${v(d.recorded)}) on ${d.where}; openapi.yaml documents it and the recorded target sends it.`
        : `openapi.yaml: add \`${d.path}\` (${v(d.recorded)}) to ${d.where}; the recorded target returns it and the spec does not. Then have the mock send it.`;
    case "type":
      return `openapi.yaml + mock: \`${d.path}\` on ${d.where} is ${v(d.recorded)} on the recorded target but ${v(d.mock)} in the mock; change the schema's type and the mock's value.`;
    case "enum":
    case "enum-unknown":
    case "enum-extra":
      return `openapi.yaml: allow ${v(d.recorded)} at \`${d.path}\` (${d.where}); mock: produce it where the recorded target does.`;
    case "enum-missing":
      return `openapi.yaml + mock: the recorded target no longer offers ${v(d.mock)} at \`${d.path}\` (${d.where}); drop it from the enum and the mock's catalog.`;
    case "value":
      return `mock (src/domain/catalog.ts): \`${d.path}\` is ${v(d.recorded)} on the recorded target, ${v(d.mock)} in the mock; update the price (and the README table via npm run docs).`;
    case "url-shape":
      return `mock: build ${d.path} like the recorded target (${v(d.recorded)}), not ${v(d.mock)}.`;
    case "header-missing":
      return `openapi.yaml + mock: the recorded target sends no ${d.path.slice(8)} on ${d.where}; clients relying on it break. Make it optional in the spec (or report the target).`;
    case "header-extra":
      return `mock: send ${d.path.slice(8)} on ${d.where} (the recorded target sends ${v(d.recorded)}); document it in openapi.yaml.`;
    case "header-value":
      return `mock: ${d.path.slice(8)} on ${d.where} is ${v(d.recorded)} on the recorded target, ${v(d.mock)} in the mock; align the mock (rate-limit window, Allow list or webhook headers).`;
    case "sequence":
      return `mock: jobs of ${d.where.replace(/^(job|webhook) /, "")} go ${v(d.recorded)} on the recorded target but ${v(d.mock)} in the mock; check the lifecycle and scenario rules.`;
    case "timing":
      return `mock (src/domain/lifecycle.ts) or README: ${d.where} took ${v(d.recorded)} on the recorded target, ${v(d.mock)} in the mock; adjust the realistic timing or the documented range.`;
    case "webhook-count":
      return `mock: the recorded target delivered ${v(d.recorded)} webhook(s) for the job, the mock ${v(d.mock)}; check the once-per-terminal-state rule.`;
    case "signature":
      return `openapi.yaml + mock (src/webhooks/signature.ts): the recorded target signs as ${v(d.recorded)}, the mock as ${v(d.mock)}; align the signature scheme.`;
  }
}

/** The proposals of a report, one per change: the same change at several places is listed once, naming them all. */
export function groupedProposals(diffs: readonly Omit<Difference, "proposal">[]): string[] {
  const byText = new Map<string, string[]>();
  for (const d of diffs) {
    const text = proposalFor(d, "\u0000");
    byText.set(text, [...(byText.get(text) ?? []), d.where]);
  }
  return [...byText].map(([text, wheres]) => text.split("\u0000").join([...new Set(wheres)].join(", ")));
}
