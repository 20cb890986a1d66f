import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redactExchange, redactWebhook } from "../src/contract/record-exchange.js";
import { Redactor } from "../src/contract/redact.js";
import { scanForSecrets } from "../src/contract/scan.js";

const KEY = "ae_live_AbCdEf123456";
const r = () => new Redactor([KEY, "corp-password-9"], "salt");

describe("redaction before recording", () => {
  it("replaces a key with the same placeholder wherever it appears: header, path, query, body, masked or not", () => {
    const x = redactExchange(r(), {
      kind: "control", operationId: null, startedMs: 0, durationMs: 1, method: "PUT",
      url: `http://127.0.0.1:1/__mock/accounts/${KEY}?key=${KEY}`, requestHeaders: { Authorization: `Bearer ${KEY}` }, requestBody: JSON.stringify({ note: `key ${KEY}` }),
      status: 404, responseHeaders: {}, responseBody: JSON.stringify({ error: "No account for key ae_live_AbCd…3456." }),
    });
    const text = JSON.stringify(x);
    expect(text).not.toMatch(/ae_live_/);
    const ph = r().placeholder("key", KEY);
    expect([x.request.path, x.request.query.key, x.request.headers.authorization]).toEqual([`/__mock/accounts/${ph}`, ph, `Bearer ${ph}`]);
    expect(x.response.body).toEqual({ error: "No account for key <redacted:key>." });
  });

  it("redacts webhook_secret by name and then everywhere else, signatures keeping their scheme, and --redact values in any encoding", () => {
    const red = r();
    const x = redactExchange(red, {
      kind: "api", operationId: "submitVision", startedMs: 0, durationMs: 1, method: "POST", url: "https://h/api/v1/vision?q=corp%2Dpassword%2D9",
      requestHeaders: { "X-Mock-Admin-Token": "tok-123456", Cookie: "sid=abcdef" }, requestBody: JSON.stringify({ webhook_secret: "whsec_abcdef", prompt: "corp-password-9" }),
      status: 202, responseHeaders: { "set-cookie": "sid=abcdef" }, responseBody: JSON.stringify({ echo: "secret was whsec_abcdef" }),
    });
    const text = JSON.stringify(x);
    for (const s of ["whsec_abcdef", "corp-password-9", "corp%2Dpassword%2D9", "tok-123456", "sid=abcdef"]) expect(text).not.toContain(s);
    const w = redactWebhook(red, { receivedAt: 0, method: "POST", path: "/hook", headers: { "x-artemotion-signature": `v1=${"ab".repeat(32)}` }, rawBody: '{"a":1}', verification: { ok: true } });
    expect(w.headers["x-artemotion-signature"]).toBe("v1=<redacted:hex64>");
  });

  it("cuts the query string of signed URLs and user:password@ in URLs, keeping ordinary queries", () => {
    const out = r().text("see https://cdn.example/r/1.png?X-Amz-Signature=abc&X-Amz-Expires=60 and https://u:p@h.example/x and https://h/jobs/1?model_id=moondream2");
    expect(out).toBe("see https://cdn.example/r/1.png?<redacted:signed-query> and https://<redacted:userinfo>@h.example/x and https://h/jobs/1?model_id=moondream2");
  });

  it("gives different keys different placeholders, stable within a run and unrelated across salts", () => {
    const a = new Redactor([], "s1");
    expect(a.text("ae_test_aaaaaaaa1")).toBe(a.text("ae_test_aaaaaaaa1"));
    expect(a.text("ae_test_aaaaaaaa1")).not.toBe(a.text("ae_test_bbbbbbbb2"));
    expect(new Redactor([], "s2").text("ae_test_aaaaaaaa1")).not.toBe(a.text("ae_test_aaaaaaaa1"));
  });
});

describe("the scan after writing", () => {
  it("finds configured secrets in any encoding, key-shaped strings and secret fields left in clear, naming the file but never the secret", () => {
    const dir = mkdtempSync(join(tmpdir(), "scan-"));
    writeFileSync(join(dir, "clean.json"), JSON.stringify({ authorization: "Bearer <redacted:key-0123456789>", ok: "fine" }));
    writeFileSync(join(dir, "a.txt"), "pass%3Dword!");
    writeFileSync(join(dir, "b.json"), JSON.stringify({ webhook_secret: "plain", k: "ae_test_whatever" }));
    const leaks = scanForSecrets(dir, ["pass=word!"]);
    expect(leaks).toEqual([
      { file: "a.txt", rule: "configured secret #1 appears" },
      { file: "b.json", rule: "an ae_live_/ae_test_ key appears" },
      { file: "b.json", rule: 'field "webhook_secret" is not redacted' },
    ]);
  });
});
