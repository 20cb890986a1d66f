import { BlockList, isIP } from "node:net";
import { ipv6Bytes } from "./ip-class.js";
import { OPEN_WEBHOOKS, webhookUrlProblem, type WebhookPolicy } from "./webhook-policy.js";

export type InputProblem = { code: "INVALID_REQUEST" | "IMAGE_ERROR"; message: string };

export type ImageMime = "image/jpeg" | "image/png" | "image/webp";

export type ImageCheck =
  | { ok: true; kind: "https"; host: string }
  | { ok: true; kind: "data"; mime: ImageMime; bytes: number }
  | ({ ok: false } & InputProblem);

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

const PRIVATE_V4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
];
const PRIVATE_V6: ReadonlyArray<readonly [string, number]> = [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
];

const privateV4 = new BlockList();
for (const [net, prefix] of PRIVATE_V4) privateV4.addSubnet(net, prefix, "ipv4");
const privateV6 = new BlockList();
for (const [net, prefix] of PRIVATE_V6) privateV6.addSubnet(net, prefix, "ipv6");

/**
 * True for hosts that would let a caller point the service at itself or its
 * internal network. Only literals are judged: the mock never resolves DNS, so
 * a public name that resolves to a private address is out of scope here.
 */
export function isPrivateHost(host: string): boolean {
  // Trailing dots denote the same FQDN, so "localhost." must not slip through.
  const h = host.toLowerCase().replace(/\.+$/, "").replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;

  const family = isIP(h);
  if (family === 4) return privateV4.check(h, "ipv4");
  if (family !== 6) return false;

  const bytes = ipv6Bytes(h);
  const zeroPrefix = (n: number) => bytes.slice(0, n).every((b) => b === 0);
  const mapped = zeroPrefix(10) && bytes[10] === 0xff && bytes[11] === 0xff;
  // IPv4-compatible (::a.b.c.d) is deprecated but still embeds an IPv4 target.
  if (mapped || zeroPrefix(12)) {
    if (privateV4.check(bytes.slice(12).join("."), "ipv4")) return true;
  }
  return privateV6.check(h, "ipv6");
}

const problem = (code: InputProblem["code"], message: string): { ok: false } & InputProblem => ({
  ok: false,
  code,
  message,
});

const UNSUPPORTED = "Image error: Unsupported image format. Use JPEG, PNG or WebP.";

function sniffMime(buf: Buffer): ImageMime | undefined {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => buf[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return undefined;
}

/**
 * The one accepted data URL prefix. Strict shape on purpose: parameters
 * (charset=...) or non-base64 payloads are not something a client sending an
 * image should ever produce.
 */
export const DATA_URL_PREFIX = /^data:([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+);base64,/i;

/** `alphabetChecked`: the body reader already proved the payload is base64 characters while scanning its bytes. */
function checkDataUrl(field: string, value: string, alphabetChecked: boolean): ImageCheck {
  const m = DATA_URL_PREFIX.exec(value);
  if (!m) {
    return problem(
      "INVALID_REQUEST",
      `Invalid ${field}: data URL must have the form data:<mime>;base64,<payload>.`,
    );
  }
  const payload = value.slice(m[0].length);

  // Size from length alone, so an oversized body is refused before any
  // regex scan or allocation proportional to it.
  const padding = payload.endsWith("==") ? 2 : payload.endsWith("=") ? 1 : 0;
  const decodedBytes = Math.floor(((payload.length - padding) * 3) / 4);
  if (decodedBytes > MAX_IMAGE_BYTES) return problem("IMAGE_ERROR", "Image error: Image exceeds 10 MB");

  // Buffer.from(…, "base64") silently skips junk, so validate first.
  const wellFormed =
    (alphabetChecked || /^[A-Za-z0-9+/]*={0,2}$/.test(payload)) &&
    (padding === 0 ? payload.length % 4 !== 1 : payload.length % 4 === 0);
  if (!wellFormed) {
    return problem("INVALID_REQUEST", `Invalid ${field}: data URL payload is not valid base64.`);
  }

  // The format is in the first bytes: decoding 10 MB to read 12 of them cost about 14 ms.
  const mime = sniffMime(Buffer.from(payload.slice(0, 16), "base64"));
  if (!mime) return problem("IMAGE_ERROR", UNSUPPORTED);
  return { ok: true, kind: "data", mime, bytes: decodedBytes };
}

export function checkImageUrl(field: string, value: string, alphabetChecked = false): ImageCheck {
  if (/^data:/i.test(value)) return checkDataUrl(field, value, alphabetChecked);

  const invalid = problem(
    "INVALID_REQUEST",
    `Invalid ${field}: must be an HTTPS URL or a base64 data URL.`,
  );
  if (!URL.canParse(value)) return invalid;
  const url = new URL(value);
  if (url.protocol !== "https:") return invalid;
  if (isPrivateHost(url.hostname)) return problem("IMAGE_ERROR", "Image error: Private URLs not allowed");
  return { ok: true, kind: "https", host: url.hostname };
}

/**
 * The submit-time check of webhook_url under the instance's destination
 * policy (by default, as on a loopback bind: any HTTPS destination, plus
 * http:// on loopback for local receivers). Names are judged again when the
 * delivery is sent, by the addresses they resolve to.
 */
export function checkWebhookUrl(value: string, policy: WebhookPolicy = OPEN_WEBHOOKS): { ok: true } | ({ ok: false } & InputProblem) {
  const unparsable = policy.mode === "open" ? "must be an HTTPS URL (http:// is accepted only for loopback hosts)" : "must be an HTTPS URL";
  const why = URL.canParse(value) ? webhookUrlProblem(policy, new URL(value)) : unparsable;
  return why === null ? { ok: true } : problem("INVALID_REQUEST", `Invalid webhook_url: ${why}.`);
}
