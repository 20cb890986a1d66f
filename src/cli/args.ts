import { parseArgs } from "node:util";
import { OPTION_DOCS, type MockOptions } from "../options.js";

/** Flags with their env fallback; a flag beats its env variable. Values are validated later by resolveOptions. */
export function optionsFromArgv(argv: string[], env: NodeJS.ProcessEnv): { options: Partial<MockOptions>; help: boolean; positionals: string[] } {
  const spec: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const d of OPTION_DOCS) spec[d.flag.slice(2)] = { type: d.key === "admin" ? "boolean" : "string" };
  const { values, positionals } = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
  const raw = (d: (typeof OPTION_DOCS)[number]): string | undefined => {
    const v = values[d.flag.slice(2)];
    return typeof v === "string" ? v : d.env ? env[d.env] : undefined;
  };
  const options: Partial<MockOptions> = {};
  const int = (s: string) => (/^-?\d+$/.test(s.trim()) ? Number(s) : NaN);
  const decimal = (s: string) => (/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(s) ? Number(s) : NaN);
  // "a, b" and "a,b" alike; the single word any stays a word.
  const list = (s: string) => (s.trim().toLowerCase() === "any" ? "any" : s.split(",").map((x) => x.trim()).filter((x) => x !== ""));
  for (const d of OPTION_DOCS) {
    if (d.key === "admin") {
      if (values["no-admin"] === true) options.admin = false;
      continue;
    }
    const v = raw(d);
    if (v === undefined) continue;
    switch (d.key) {
      case "port": case "seed": case "credits": case "journalSize": case "webhookTimeoutMs": case "bodyLimitBytes": case "workers": case "maxKeys": case "deliveryLeaseMs":
        (options as Record<string, unknown>)[d.key] = int(v);
        break;
      case "chaos":
        options.chaos = decimal(v);
        break;
      case "rateLimits": case "doctor":
        (options as Record<string, unknown>)[d.key] = v === "on" || v === "true" ? true : v === "off" || v === "false" ? false : v;
        break;
      case "allowedHosts": case "webhookAllow":
        (options as Record<string, unknown>)[d.key] = list(v);
        break;
      default:
        (options as Record<string, unknown>)[d.key] = v;
    }
  }
  return { options, help: values.help === true, positionals };
}

export function helpText(): string {
  const rows = OPTION_DOCS.map((d) => {
    const flag = d.key === "admin" ? d.flag : `${d.flag} <value>`;
    return `  ${flag.padEnd(26)} ${d.help}\n  ${"".padEnd(26)} default: ${d.default}${d.env ? `; env ${d.env}` : ""}`;
  });
  return [
    "Usage: artemotion-mock <command> [options]",
    "",
    "Commands:",
    "  serve       Start the mock (what `npm start` runs)",
    "  contract    Run the contract suite (see `artemotion-mock contract --help`)",
    "  drift       Replay a --record recording against a mock and report the differences (see `artemotion-mock drift --help`)",
    "",
    "  artemotion-mock --version (-v) prints the version.",
    "  doctor      Ask a running mock what your client does that will hurt it (see `artemotion-mock doctor --help`)",
    "",
    "Options for serve:",
    ...rows,
    `  ${"--help".padEnd(26)} Show this help`,
  ].join("\n");
}
