import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "../src/webhooks/signature.js";

const secret = "whsec_test_123";
const now = 1_700_000_000;
const body = JSON.stringify({ id: "job_1", status: "completed", result: { emotion: "awe" } });
const sig = signWebhook(body, secret, now);

function lowerHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    "x-artemotion-event": "job.completed",
    "x-artemotion-timestamp": String(now),
    "x-artemotion-signature": sig,
    ...overrides,
  };
}

describe("signWebhook", () => {
  it("produces v1= followed by the hex HMAC-SHA256 of `${timestamp}.${rawBody}`", () => {
    const expected = createHmac("sha256", secret).update(`${now}.${body}`).digest("hex");
    expect(sig).toBe(`v1=${expected}`);
  });

  it("gives the same signature for a Buffer body as for the equivalent string", () => {
    expect(signWebhook(Buffer.from(body, "utf8"), secret, now)).toBe(sig);
  });
});

describe("verifyWebhook accepts", () => {
  const cases: Array<[string, Parameters<typeof verifyWebhook>[1]]> = [
    ["lower-case header names", lowerHeaders()],
    [
      "canonical-case header names",
      { "X-ArtEmotion-Event": "job.completed", "X-ArtEmotion-Timestamp": String(now), "X-ArtEmotion-Signature": sig },
    ],
    [
      "upper-case header names",
      { "X-ARTEMOTION-EVENT": "job.completed", "X-ARTEMOTION-TIMESTAMP": String(now), "X-ARTEMOTION-SIGNATURE": sig },
    ],
    ["a WHATWG Headers object", new Headers(lowerHeaders() as Record<string, string>)],
    ["single-element header arrays", { ...lowerHeaders(), "x-artemotion-signature": [sig] }],
  ];

  it.each(cases)("a correctly signed delivery with %s", (_name, headers) => {
    expect(verifyWebhook(body, headers, secret, { now })).toEqual({ ok: true, event: "job.completed", timestamp: now });
  });

  it("a timestamp exactly 300 s old or 300 s in the future", () => {
    expect(verifyWebhook(body, lowerHeaders(), secret, { now: now + 300 }).ok).toBe(true);
    expect(verifyWebhook(body, lowerHeaders(), secret, { now: now - 300 }).ok).toBe(true);
  });

  it("a Buffer body and the current clock when no `now` is given", () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = lowerHeaders({ "x-artemotion-timestamp": String(ts), "x-artemotion-signature": signWebhook(body, secret, ts) });
    expect(verifyWebhook(Buffer.from(body), headers, secret)).toMatchObject({ ok: true, timestamp: ts });
  });
});

describe("verifyWebhook rejects without throwing", () => {
  const hex = sig.slice(3);
  const cases: Array<[string, () => ReturnType<typeof verifyWebhook>, string]> = [
    ["a tampered body", () => verifyWebhook(body.replace("awe", "joy"), lowerHeaders(), secret, { now }), "signature_mismatch"],
    ["the wrong secret", () => verifyWebhook(body, lowerHeaders(), "other", { now }), "signature_mismatch"],
    ["a timestamp 301 s old", () => verifyWebhook(body, lowerHeaders(), secret, { now: now + 301 }), "timestamp_out_of_tolerance"],
    ["a timestamp 301 s in the future", () => verifyWebhook(body, lowerHeaders(), secret, { now: now - 301 }), "timestamp_out_of_tolerance"],
    ["a missing signature header", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-signature": undefined }), secret, { now }), "missing_signature"],
    ["a missing timestamp header", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-timestamp": undefined }), secret, { now }), "missing_timestamp"],
    ["a missing event header", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-event": undefined }), secret, { now }), "missing_event"],
    ["a wrong signature prefix", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-signature": `v2=${hex}` }), secret, { now }), "bad_signature_format"],
    ["a bare hex signature", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-signature": hex }), secret, { now }), "bad_signature_format"],
    ["a signature of the wrong length", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-signature": `v1=${hex.slice(2)}` }), secret, { now }), "bad_signature_format"],
    ["a non-hex signature", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-signature": `v1=${"zz".repeat(32)}` }), secret, { now }), "bad_signature_format"],
    ["an empty signature", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-signature": "" }), secret, { now }), "bad_signature_format"],
    ["two signature values", () => verifyWebhook(body, { ...lowerHeaders(), "x-artemotion-signature": [sig, sig] }, secret, { now }), "bad_signature_format"],
    ["a non-numeric timestamp", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-timestamp": "soon" }), secret, { now }), "bad_timestamp"],
    ["a fractional timestamp", () => verifyWebhook(body, lowerHeaders({ "x-artemotion-timestamp": `${now}.5` }), secret, { now }), "bad_timestamp"],
    ["an empty secret", () => verifyWebhook(body, lowerHeaders(), "", { now }), "missing_secret"],
    ["a non-string secret", () => verifyWebhook(body, lowerHeaders(), 42 as unknown as string, { now }), "missing_secret"],
    ["null headers", () => verifyWebhook(body, null as unknown as Record<string, string>, secret, { now }), "missing_signature"],
    ["non-string header values", () => verifyWebhook(body, { "x-artemotion-signature": 7 } as unknown as Record<string, string>, secret, { now }), "missing_signature"],
    ["a non-string body", () => verifyWebhook({} as unknown as string, lowerHeaders(), secret, { now }), "invalid_input"],
    [
      "headers whose getter throws",
      () =>
        verifyWebhook(
          body,
          new Proxy({}, { ownKeys: () => { throw new Error("boom"); } }) as Record<string, string>,
          secret,
          { now },
        ),
      "invalid_input",
    ],
  ];

  it.each(cases)("%s", (_name, run, reason) => {
    let result: ReturnType<typeof verifyWebhook> | undefined;
    expect(() => (result = run())).not.toThrow();
    expect(result).toEqual({ ok: false, reason });
  });

  it("a signature whose header is correct but whose timestamp header was altered", () => {
    const headers = lowerHeaders({ "x-artemotion-timestamp": String(now + 1) });
    expect(verifyWebhook(body, headers, secret, { now })).toEqual({ ok: false, reason: "signature_mismatch" });
  });
});
