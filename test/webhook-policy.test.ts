import { describe, expect, it } from "vitest";
import { checkWebhookUrl } from "../src/domain/image-input.js";
import { addressClass } from "../src/domain/ip-class.js";
import { judgeAddress, needsResolution, webhookPolicy, WebhookAllowError, type WebhookPolicy } from "../src/domain/webhook-policy.js";
import { resolveOptions, OptionsError } from "../src/options.js";

const PUBLIC = webhookPolicy(null, false);
const LIST = webhookPolicy(["hooks.example.com", "*.corp.example", "10.0.0.0/8", "fd00::/8", "192.168.7.7"], false);
const ok = (policy: WebhookPolicy, url: string) => checkWebhookUrl(url, policy).ok;

describe("the webhook destination policy", () => {
  it("is open on a loopback bind and with any, public-only on a non-loopback bind without a list", () => {
    expect(webhookPolicy(null, true).mode).toBe("open");
    expect(webhookPolicy("any", false).mode).toBe("open");
    expect(PUBLIC.mode).toBe("public");
    expect(LIST.mode).toBe("list");
  });

  it.each([["10.0.0.0/33"], ["fd00::/129"], ["10.0.0.0/8/1"], ["https://hooks.example.com"], ["hooks.example.com:443"], ["a b"], ["*."], ["any", "x"], []])(
    "refuses the entries %j, naming the bad one",
    (...entries) => {
      expect(() => webhookPolicy(entries, false)).toThrow(WebhookAllowError);
    },
  );

  it("reports a bad entry at start-up as an OptionsError naming --webhook-allow", () => {
    expect(() => resolveOptions({ webhookAllow: ["10.0.0.0/40"] })).toThrow(OptionsError);
    expect(() => resolveOptions({ webhookAllow: ["10.0.0.0/40"] })).toThrow(/^--webhook-allow: "10\.0\.0\.0\/40" is not a CIDR/);
  });

  it.each([
    ["8.8.8.8", null],
    ["2606:4700:4700::1111", null],
    ["10.1.2.3", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fd12:3456::1", "private"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:c0a8:101::1", "private"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
  ])("classifies %s as %s", (address, kind) => {
    expect(addressClass(address)).toBe(kind);
  });

  describe("at submit, on a non-loopback bind without --webhook-allow", () => {
    it.each(["https://10.0.0.5/hook", "https://127.0.0.1:8443/hook", "https://[::1]/hook", "https://169.254.169.254/latest/meta-data/", "https://[::ffff:192.168.1.1]/hook", "https://100.64.0.1/", "https://0.0.0.0/", "https://2130706433/"])(
      "refuses the literal private address in %s",
      (url) => {
        const check = checkWebhookUrl(url, PUBLIC);
        expect(check).toMatchObject({ ok: false, code: "INVALID_REQUEST" });
        expect((check as { message: string }).message).toMatch(/^Invalid webhook_url: .* is a [A-Za-z() -]+ address .*--webhook-allow/);
      },
    );

    it("refuses plain http, even to loopback", () => {
      expect(ok(PUBLIC, "http://hooks.example.com/hook")).toBe(false);
      expect(ok(PUBLIC, "http://127.0.0.1:3000/hook")).toBe(false);
    });

    it("accepts public HTTPS addresses and names, names being judged again when sent", () => {
      expect(["https://hooks.example.com/h", "https://8.8.8.8/h", "https://localhost:8443/h"].map((u) => ok(PUBLIC, u))).toEqual([true, true, true]);
      expect(needsResolution(PUBLIC, "hooks.example.com")).toBe(true);
      expect(needsResolution(PUBLIC, "8.8.8.8")).toBe(false);
    });
  });

  describe("with --webhook-allow", () => {
    it("accepts listed names and suffixes, literal addresses inside a CIDR, over http or https", () => {
      for (const url of ["https://hooks.example.com/h", "http://hooks.example.com/h", "https://a.corp.example/h", "http://10.20.30.40:8080/h", "https://[fd00::5]/h", "https://192.168.7.7/h"]) {
        expect(ok(LIST, url), url).toBe(true);
      }
    });

    it("refuses literal addresses outside every CIDR, naming the list", () => {
      const check = checkWebhookUrl("https://192.168.7.8/h", LIST) as { ok: false; message: string };
      expect(check.message).toBe("Invalid webhook_url: 192.168.7.8 is not in --webhook-allow (hooks.example.com,*.corp.example,10.0.0.0/8,fd00::/8,192.168.7.7).");
      expect(ok(LIST, "https://11.0.0.1/h")).toBe(false);
    });

    it("takes an unlisted name at submit when the list has CIDRs, and judges its addresses when sent", () => {
      expect(ok(LIST, "https://receiver.internal/h")).toBe(true);
      expect(needsResolution(LIST, "receiver.internal")).toBe(true);
      expect(judgeAddress(LIST, "receiver.internal", "10.9.9.9")).toBeNull();
      expect(judgeAddress(LIST, "receiver.internal", "127.0.0.1")).toBe("receiver.internal resolves to 127.0.0.1, which is not in --webhook-allow (hooks.example.com,*.corp.example,10.0.0.0/8,fd00::/8,192.168.7.7)");
    });

    it("trusts a listed name whatever it resolves to, and refuses unlisted names when the list has no CIDR", () => {
      const names = webhookPolicy(["hooks.example.com"], false);
      expect(needsResolution(names, "hooks.example.com")).toBe(false);
      expect(judgeAddress(names, "hooks.example.com", "127.0.0.1")).toBeNull();
      expect(ok(names, "https://other.example.com/h")).toBe(false);
      expect(ok(webhookPolicy(["*.corp.example"], false), "https://corp.example/h")).toBe(false); // *.suffix names subdomains only
    });
  });
});
