#!/usr/bin/env node
import { helpText, optionsFromArgv } from "./args.js";
import { VERSION } from "../version.js";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = { log: (s: string) => console.log(s), err: (s: string) => console.error(s) };
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(helpText());
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-v") {
    console.log(VERSION);
    return 0;
  }
  if (command === "contract") {
    const { runContractCli } = await import("./contract.js");
    return runContractCli(rest, process.env, out);
  }
  if (command === "drift") {
    const { runDriftCli } = await import("./drift.js");
    return runDriftCli(rest, out);
  }
  if (command === "doctor") {
    const { runDoctorCli } = await import("./doctor.js");
    return runDoctorCli(rest, process.env, out);
  }
  if (command !== "serve") {
    out.err(`artemotion-mock: unknown command "${command}". Try --help.`);
    return 2;
  }
  let parsed;
  try {
    parsed = optionsFromArgv(rest, process.env);
  } catch (e) {
    out.err(`artemotion-mock: ${(e as Error).message}. Try --help.`);
    return 2;
  }
  if (parsed.help) {
    console.log(helpText());
    return 0;
  }
  if (parsed.positionals.length > 0) {
    out.err(`artemotion-mock: unexpected argument "${parsed.positionals[0]}". Try --help.`);
    return 2;
  }
  // Loaded only now, so --help and flag errors answer without loading the server.
  const { serve } = await import("./serve.js");
  return serve(parsed.options, out);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`artemotion-mock: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
