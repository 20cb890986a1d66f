import { CHAOS_PROFILE_NAMES, DEFAULT_CHAOS_PROFILE, isChaosProfile, type ChaosProfileName } from "./domain/chaos.js";
import { HostListError, hostPolicy } from "./domain/host-policy.js";
import { TIMINGS, type Timing } from "./domain/lifecycle.js";
import { WebhookAllowError, webhookPolicy, type WebhookPolicy } from "./domain/webhook-policy.js";

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every option of the mock, for the CLI and createMockServer alike. */
export interface MockOptions {
  port: number;
  host: string;
  seed: number | null;
  timing: Timing;
  credits: number;
  rateLimits: boolean;
  adminToken: string | null;
  admin: boolean;
  publicUrl: string | null;
  journalSize: number;
  logLevel: LogLevel;
  webhookTimeoutMs: number;
  bodyLimitBytes: number;
  /** memory, file:PATH, or redis://host:port[/db] (rediss:// too). */
  store: string;
  /** Prefix of every Redis key, so several mocks can share one Redis. */
  namespace: string;
  /** node:cluster workers sharing the port (Redis store only); 0 serves in this process. */
  workers: number;
  /** Names this process in the journal, deliveries and events; default hostname:pid. */
  replicaId: string | null;
  /** Redis store: how long a claimed webhook may stay unsettled before it is recorded `abandoned` (its replica died). */
  deliveryLeaseMs: number;
  /** Host names (or `*.suffix`) besides loopback that may reach /__mock, the dashboard and /docs; "any" turns the check off. */
  allowedHosts: readonly string[] | "any";
  /** Webhook destinations (hosts, `*.suffix`, CIDRs); "any" for any; null for the default of the bind. */
  webhookAllow: readonly string[] | "any" | null;
  /** "auto" (keys provision themselves) or the path of a JSON or YAML file of keys and credits. */
  keys: string;
  /** Accounts that --keys auto creates at most. */
  maxKeys: number;
  /** Share of requests (0–1) that meet a seeded fault of `chaosProfile`; 0 turns chaos off. */
  chaos: number;
  chaosProfile: ChaosProfileName;
  /** The integration doctor (GET /__mock/doctor): judges the clients' traffic against the docs' rules. */
  doctor: boolean;
  /** Wall clock; tests may inject one. Not a CLI flag. */
  wallNow: () => number;
  /** Interval of the SSE heartbeat comment; tests shorten it. Not a CLI flag. */
  sseHeartbeatMs: number;
}

export interface OptionDoc {
  key: Exclude<keyof MockOptions, "wallNow" | "sseHeartbeatMs">;
  flag: string;
  env: string | null;
  default: string;
  help: string;
}

/** The one table behind `serve --help` and the README's option table. */
export const OPTION_DOCS: readonly OptionDoc[] = [
  { key: "port", flag: "--port", env: "PORT", default: "4010", help: "Port to listen on (0 picks a free one)." },
  { key: "host", flag: "--host", env: "HOST", default: "127.0.0.1", help: "Interface to bind. Non-loopback needs --admin-token or --no-admin." },
  { key: "seed", flag: "--seed", env: "MOCK_SEED", default: "none (random)", help: "Seed for job ids, durations and results: same seed + same requests = same answers." },
  { key: "timing", flag: "--timing", env: "MOCK_TIMING", default: "realistic", help: "realistic (the docs' durations), fast (every job done in under 1 s) or instant (terminal at submit)." },
  { key: "credits", flag: "--credits", env: "MOCK_CREDITS", default: "1000", help: "Balance a new API key starts with." },
  { key: "rateLimits", flag: "--rate-limits", env: "MOCK_RATE_LIMITS", default: "on", help: "on or off. Off for load tests." },
  { key: "adminToken", flag: "--admin-token", env: "MOCK_ADMIN_TOKEN", default: "none", help: "When set, /__mock requires the X-Mock-Admin-Token header." },
  { key: "admin", flag: "--no-admin", env: null, default: "admin on", help: "Disable the /__mock control API entirely." },
  { key: "publicUrl", flag: "--public-url", env: "MOCK_PUBLIC_URL", default: "the request's Host", help: "Origin used in poll_url and result URLs, e.g. https://mock.example.test." },
  { key: "journalSize", flag: "--journal-size", env: "MOCK_JOURNAL_SIZE", default: "1000", help: "Entries kept in the request journal (a ring buffer)." },
  { key: "logLevel", flag: "--log-level", env: "LOG_LEVEL", default: "info", help: "silent, error, warn, info or debug. One line per request at info." },
  { key: "webhookTimeoutMs", flag: "--webhook-timeout", env: "MOCK_WEBHOOK_TIMEOUT_MS", default: "8000", help: "Webhook delivery timeout in ms (the docs' 8 s)." },
  { key: "bodyLimitBytes", flag: "--body-limit", env: "MOCK_BODY_LIMIT", default: "33554432", help: "Largest request body in bytes (room for two 10 MB images as base64, as a try-on needs)." },
  { key: "store", flag: "--store", env: "MOCK_STORE", default: "memory", help: "Where state lives: memory, file:PATH (survives restarts) or redis://host:port[/db] (shared by replicas)." },
  { key: "namespace", flag: "--namespace", env: "MOCK_NAMESPACE", default: "artemotion-mock", help: "Prefix of every Redis key, so several mocks can share one Redis." },
  { key: "workers", flag: "--workers", env: "MOCK_WORKERS", default: "0 (this process)", help: "node:cluster workers sharing the port; needs --store redis://…." },
  { key: "deliveryLeaseMs", flag: "--delivery-lease", env: "MOCK_DELIVERY_LEASE_MS", default: "30000", help: "Redis store: ms a replica may hold a claimed webhook unsettled; if it dies meanwhile, the delivery is recorded abandoned (never retried). Must exceed --webhook-timeout." },
  { key: "replicaId", flag: "--replica-id", env: "MOCK_REPLICA_ID", default: "hostname:pid", help: "Name of this process in the journal, deliveries and events." },
  { key: "allowedHosts", flag: "--allowed-hosts", env: "MOCK_ALLOWED_HOSTS", default: "loopback names, --host, the host of --public-url", help: "Comma-separated Host names (or *.suffix) that may reach /__mock, the dashboard and /docs besides those; any turns the check off. Guards against DNS rebinding." },
  { key: "webhookAllow", flag: "--webhook-allow", env: "MOCK_WEBHOOK_ALLOW", default: "loopback bind: any HTTPS, http on loopback; otherwise public HTTPS only", help: "Comma-separated webhook destinations: host names, *.suffix, CIDRs (IPv4/IPv6), or any. Listed destinations may be http or https; nothing else is sent to." },
  { key: "keys", flag: "--keys", env: "MOCK_KEYS", default: "auto", help: "auto (any well-formed key is served, and gets an account with --credits when first charged) or a JSON/YAML file of keys and their credits; other keys get 401." },
  { key: "maxKeys", flag: "--max-keys", env: "MOCK_MAX_KEYS", default: "100000", help: "Most accounts --keys auto creates (a key gets one when first charged; reads create none); past it a new key's submit gets 401 naming this flag." },
  { key: "chaos", flag: "--chaos", env: "MOCK_CHAOS", default: "0 (off)", help: "Share of requests (0 to 1) that meet a fault from --chaos-profile, decided from --seed: same seed and requests, same faults. /__mock/chaos changes it at run time." },
  { key: "chaosProfile", flag: "--chaos-profile", env: "MOCK_CHAOS_PROFILE", default: DEFAULT_CHAOS_PROFILE, help: `Which faults chaos injects: ${CHAOS_PROFILE_NAMES.join(", ")}.` },
  { key: "doctor", flag: "--doctor", env: "MOCK_DOCTOR", default: "on", help: "on or off. The integration doctor: what your client does that will hurt it against the live API (GET /__mock/doctor, `artemotion-mock doctor`)." },
];

export const DEFAULT_OPTIONS: Readonly<MockOptions> = Object.freeze({
  port: 4010,
  host: "127.0.0.1",
  seed: null,
  timing: "realistic",
  credits: 1000,
  rateLimits: true,
  adminToken: null,
  admin: true,
  publicUrl: null,
  journalSize: 1000,
  logLevel: "info",
  webhookTimeoutMs: 8000,
  bodyLimitBytes: 32 * 1024 * 1024,
  store: "memory",
  namespace: "artemotion-mock",
  workers: 0,
  replicaId: null,
  deliveryLeaseMs: 30_000,
  allowedHosts: Object.freeze([]) as readonly string[],
  webhookAllow: null,
  keys: "auto",
  maxKeys: 100_000,
  chaos: 0,
  chaosProfile: DEFAULT_CHAOS_PROFILE,
  doctor: true,
  wallNow: Date.now,
  sseHeartbeatMs: 15_000,
});

export class OptionsError extends Error {
  override name = "OptionsError";
}

const isInt = (n: unknown, min: number, max: number) => typeof n === "number" && Number.isInteger(n) && n >= min && n <= max;

/** Fills defaults, validates, and freezes. Throws OptionsError naming the option. */
export function resolveOptions(partial: Partial<MockOptions> = {}): Readonly<MockOptions> {
  const o: MockOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(partial) };
  const fail = (flag: string, why: string) => {
    throw new OptionsError(`${flag}: ${why}`);
  };
  if (!isInt(o.port, 0, 65535)) fail("--port", "must be an integer from 0 to 65535");
  if (typeof o.host !== "string" || o.host === "") fail("--host", "must be a host name or address");
  if (o.seed !== null && !isInt(o.seed, 0, Number.MAX_SAFE_INTEGER)) fail("--seed", "must be a non-negative integer");
  if (!TIMINGS.includes(o.timing)) fail("--timing", `must be one of ${TIMINGS.join(", ")}`);
  if (!isInt(o.credits, 0, 1e12)) fail("--credits", "must be a non-negative integer");
  if (typeof o.rateLimits !== "boolean") fail("--rate-limits", "must be on or off");
  if (typeof o.doctor !== "boolean") fail("--doctor", "must be on or off");
  if (o.adminToken !== null && (typeof o.adminToken !== "string" || o.adminToken.length < 8)) fail("--admin-token", "must be at least 8 characters");
  if (o.publicUrl !== null) {
    try {
      const u = new URL(o.publicUrl);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
      o.publicUrl = u.origin;
    } catch {
      fail("--public-url", "must be an http(s) URL");
    }
  }
  if (!isInt(o.journalSize, 1, 1_000_000)) fail("--journal-size", "must be an integer from 1 to 1000000");
  if (!LOG_LEVELS.includes(o.logLevel)) fail("--log-level", `must be one of ${LOG_LEVELS.join(", ")}`);
  if (!isInt(o.webhookTimeoutMs, 1, 600_000)) fail("--webhook-timeout", "must be an integer number of ms from 1 to 600000");
  if (!isInt(o.bodyLimitBytes, 1024, 1024 ** 3)) fail("--body-limit", "must be an integer number of bytes from 1024 to 1 GiB");
  if (typeof o.store !== "string" || !/^(memory|file:.+|rediss?:\/\/.+)$/.test(o.store)) fail("--store", "must be memory, file:PATH or redis://host:port[/db]");
  if (typeof o.namespace !== "string" || !/^[A-Za-z0-9:_.-]{1,100}$/.test(o.namespace)) fail("--namespace", "must be 1 to 100 of A-Z a-z 0-9 : _ . -");
  if (!isInt(o.sseHeartbeatMs, 10, 3_600_000)) fail("sseHeartbeatMs", "must be an integer number of ms from 10 to 3600000");
  if (!isInt(o.workers, 0, 64)) fail("--workers", "must be an integer from 0 to 64");
  if (o.workers > 0 && !o.store.startsWith("redis")) fail("--workers", "needs a shared store: pass --store redis://host:port (workers cannot share memory or a state file)");
  if (!isInt(o.deliveryLeaseMs, 100, 3_600_000)) fail("--delivery-lease", "must be an integer number of ms from 100 to 3600000");
  if (o.store.startsWith("redis") && o.deliveryLeaseMs <= o.webhookTimeoutMs) fail("--delivery-lease", `must be longer than --webhook-timeout (${o.webhookTimeoutMs} ms), or a slow delivery would be recorded abandoned while it is still running`);
  if (o.replicaId !== null && (typeof o.replicaId !== "string" || !/^[\w.:-]{1,100}$/.test(o.replicaId))) fail("--replica-id", "must be 1 to 100 of A-Z a-z 0-9 _ . : -");
  if (o.allowedHosts !== "any" && !isStringList(o.allowedHosts)) fail("--allowed-hosts", "must be a comma-separated list of host names, or any");
  if (o.webhookAllow !== null && o.webhookAllow !== "any" && !isStringList(o.webhookAllow)) fail("--webhook-allow", "must be a comma-separated list of hosts, *.suffix patterns and CIDRs, or any");
  try {
    hostPolicy(o.allowedHosts, { publicUrl: o.publicUrl, bindHost: o.host });
    webhookPolicy(o.webhookAllow, isLoopbackHost(o.host));
  } catch (e) {
    if (e instanceof HostListError) fail("--allowed-hosts", e.message);
    if (e instanceof WebhookAllowError) fail("--webhook-allow", e.message);
    throw e;
  }
  if (o.allowedHosts !== "any") o.allowedHosts = Object.freeze([...o.allowedHosts]);
  if (Array.isArray(o.webhookAllow)) o.webhookAllow = Object.freeze([...o.webhookAllow]);
  if (typeof o.keys !== "string" || o.keys.trim() === "") fail("--keys", "must be auto or the path of a JSON or YAML keys file");
  if (!isInt(o.maxKeys, 1, 100_000_000)) fail("--max-keys", "must be an integer from 1 to 100000000");
  if (typeof o.chaos !== "number" || !(o.chaos >= 0 && o.chaos <= 1)) fail("--chaos", "must be a number from 0 to 1 (the share of requests that meet a fault)");
  if (typeof o.chaosProfile !== "string" || !isChaosProfile(o.chaosProfile)) fail("--chaos-profile", `must be one of ${CHAOS_PROFILE_NAMES.join(", ")}`);
  return Object.freeze(o);
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Where this instance may send webhooks: by --webhook-allow, else by whether it binds loopback. */
export function webhookPolicyFor(o: Pick<MockOptions, "webhookAllow" | "host">): WebhookPolicy {
  return webhookPolicy(o.webhookAllow, isLoopbackHost(o.host));
}
