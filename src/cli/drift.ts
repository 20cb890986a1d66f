import { parseArgs } from "node:util";
import { prepareReportPath, writeReport } from "../contract/report-file.js";
import { TIMINGS, type Timing } from "../domain/lifecycle.js";
import { formatReport, junitReport } from "../drift/report.js";
import { runDrift } from "../drift/run.js";
import { GRADES, type Grade } from "../drift/types.js";

const HELP = `Usage: artemotion-mock drift <dir> [options]

Replays a recording made with \`artemotion-mock contract --record <dir>\` against a mock and
compares, exchange by exchange: status, content type, field set and types, enum values,
Retry-After and Allow; per job its status sequence and time to terminal against the
documented ranges; per webhook its headers and signature scheme. Ids, timestamps, hosts
and signed URLs are normalised first. Each difference is graded breaking, behavioural or
additive, with its JSON path, both values and a proposed change to openapi.yaml or the mock.

  --against <url>        Replay against this target (e.g. http://127.0.0.1:4010) instead of an
                         in-process mock; a target with /__mock has its clock driven by the recording
  --timing <timing>      In-process mock timing: ${TIMINGS.join(", ")} (default: the recording's;
                         fast for a mock recording, realistic for a live one)
  --report <kind:path>   json:drift.json or junit:drift.xml (repeatable)
  --fail-on <grade>      breaking (default), behavioural or additive: the least severe grade that fails
  --help

Exit codes: 0 no difference at or above --fail-on, 1 there is one, 2 configuration error.`;

type Out = { log: (s: string) => void; err: (s: string) => void };

export async function runDriftCli(argv: string[], out: Out): Promise<number> {
  const fail = (msg: string) => (out.err(`artemotion-mock drift: ${msg}`), 2);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      against: { type: "string" }, timing: { type: "string" }, report: { type: "string", multiple: true },
      "fail-on": { type: "string" }, help: { type: "boolean" },
    } });
  } catch (e) {
    return fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return out.log(HELP), 0;
  if (positionals.length !== 1) return fail(positionals.length ? `one recording directory, got ${positionals.length} arguments` : "which recording? artemotion-mock drift <dir> (see --help)");
  const failOn = values["fail-on"] ?? "breaking";
  if (!GRADES.includes(failOn as Grade)) return fail(`--fail-on takes ${GRADES.join(", ")}, got "${failOn}"`);
  if (values.timing !== undefined && !TIMINGS.includes(values.timing as Timing)) return fail(`--timing takes ${TIMINGS.join(", ")}, got "${values.timing}"`);
  if (values.against !== undefined && values.timing !== undefined) return fail("--timing applies to the in-process mock only, not to --against");
  if (values.against !== undefined && !/^https?:\/\/[^/]+/.test(values.against)) return fail(`--against is not an http(s) URL: "${values.against}"`);
  const reports: { kind: "json" | "junit"; path: string }[] = [];
  for (const r of values.report ?? []) {
    const m = /^(junit|json):(.+)$/.exec(r);
    if (!m) return fail(`--report takes junit:PATH or json:PATH, got "${r}"`);
    // Checked (and its folders created) before the replay: an unwritable path is a configuration error, not a difference.
    const why = prepareReportPath(m[2]!);
    if (why) return fail(why);
    reports.push({ kind: m[1] as "json" | "junit", path: m[2]! });
  }
  let result;
  try {
    result = await runDrift(positionals[0]!, { against: values.against, timing: values.timing as Timing | undefined, failOn: failOn as Grade }, out.log);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { report, recording } = result;
  out.log(formatReport(report));
  for (const r of reports) {
    const why = writeReport(r.path, r.kind === "json" ? JSON.stringify(report, null, 2) + "\n" : junitReport(report, recording.index.tests.map((t) => t.name)));
    if (why) return fail(why);
  }
  return report.exitCode;
}
