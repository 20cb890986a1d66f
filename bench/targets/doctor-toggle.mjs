// The mock for bench/doctor.mjs: one process whose doctor can be switched off and
// on between measurements (its event subscription, wired as src/runtime.ts wires
// it), so both sides run in the same process on the same CPU: two processes on a
// shared machine differ by more than the doctor costs. Prints "ready ORIGIN";
// answers IPC { type: "doctor", on }, { type: "cpu" } and { type: "findings" } with its CPU time so far.
import { createMockServer } from "../../dist/index.js";
import { Doctor } from "../../dist/doctor/doctor.js";

const server = await createMockServer({ host: "127.0.0.1", port: 0, rateLimits: false, timing: "fast", credits: 100_000_000, logLevel: "silent", doctor: false });
const { store, options } = server.mock;
const doctor = new Doctor({ now: () => store.now(), wallNow: options.wallNow, publicHost: null });
let unsubscribe = store.events.subscribe((e) => doctor.observe(e));

process.on("message", (m) => {
  if (m.type === "exit") process.exit(0);
  if (m.type === "doctor") {
    if (m.on && unsubscribe === null) unsubscribe = store.events.subscribe((e) => doctor.observe(e));
    if (!m.on && unsubscribe !== null) {
      unsubscribe();
      unsubscribe = null;
    }
  }
  const cpu = process.cpuUsage();
  process.send({ id: m.id, userMicros: cpu.user, systemMicros: cpu.system, findings: m.type === "findings" ? doctor.report().findings.map((f) => `${f.rule} ×${f.count}`) : null });
});
console.log(`ready ${server.origin}`);
