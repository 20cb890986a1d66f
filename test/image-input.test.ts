import { describe, expect, it } from "vitest";
import {
  MAX_IMAGE_BYTES,
  checkImageUrl,
  checkWebhookUrl,
  isPrivateHost,
} from "../src/domain/image-input.js";

const FIELD = "person_image_url";
const PRIVATE = { ok: false, code: "IMAGE_ERROR", message: "Image error: Private URLs not allowed" };
const NOT_URL = {
  ok: false,
  code: "INVALID_REQUEST",
  message: `Invalid ${FIELD}: must be an HTTPS URL or a base64 data URL.`,
};
const UNSUPPORTED = {
  ok: false,
  code: "IMAGE_ERROR",
  message: "Image error: Unsupported image format. Use JPEG, PNG or WebP.",
};

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0, 0x10];
const WEBP = [...Buffer.from("RIFF"), 0x24, 0, 0, 0, ...Buffer.from("WEBPVP8 ")];
const GIF = [...Buffer.from("GIF89a"), 1, 0, 1, 0];

const dataUrl = (bytes: Buffer | number[], mime = "image/png") =>
  `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;

/** A buffer of exactly `size` bytes that starts with the given signature. */
const imageOfSize = (signature: number[], size: number) => {
  const buf = Buffer.alloc(size);
  Buffer.from(signature).copy(buf);
  return buf;
};

describe("checkImageUrl with HTTPS URLs", () => {
  it.each([
    ["a public hostname is accepted", "https://cdn.example.com/a.png", "cdn.example.com"],
    ["a public IPv4 literal is accepted", "https://93.184.216.34/a.jpg", "93.184.216.34"],
    ["a public IPv6 literal is accepted", "https://[2606:4700::1111]/a.jpg", "[2606:4700::1111]"],
    ["an uppercase scheme and host are normalised", "HTTPS://CDN.Example.COM/x", "cdn.example.com"],
    ["an address just outside 172.16/12 is accepted", "https://172.32.0.1/", "172.32.0.1"],
    ["an address just outside CGNAT is accepted", "https://100.128.0.1/", "100.128.0.1"],
  ])("%s", (_name, url, host) => {
    expect(checkImageUrl(FIELD, url)).toEqual({ ok: true, kind: "https", host });
  });

  it.each([
    ["localhost is private", "https://localhost/a.png"],
    ["localhost with a trailing dot is private", "https://localhost./a.png"],
    ["a *.localhost subdomain is private", "https://app.localhost/a.png"],
    ["IPv4 loopback is private", "https://127.0.0.1/a.png"],
    ["any address in 127/8 is private", "https://127.255.0.9/a.png"],
    ["IPv6 loopback is private", "https://[::1]/a.png"],
    ["fully written IPv6 loopback is private", "https://[0:0:0:0:0:0:0:1]/a.png"],
    ["the decimal IPv4 form of loopback is private", "https://2130706433/a.png"],
    ["the hex IPv4 form of loopback is private", "https://0x7f.1/a.png"],
    ["the short IPv4 form of loopback is private", "https://127.1/a.png"],
    ["10/8 is private", "https://10.1.2.3/"],
    ["172.16/12 is private at its start", "https://172.16.0.1/"],
    ["172.16/12 is private at its end", "https://172.31.255.254/"],
    ["192.168/16 is private", "https://192.168.1.1/"],
    ["IPv4 link-local (cloud metadata) is private", "https://169.254.169.254/latest/"],
    ["CGNAT 100.64/10 is private", "https://100.64.0.1/"],
    ["0.0.0.0 is private", "https://0.0.0.0/"],
    ["the bare number 0 (0.0.0.0) is private", "https://0/"],
    ["the IPv6 unspecified address is private", "https://[::]/"],
    ["IPv6 unique-local fc00::/7 is private", "https://[fd12:3456::1]/"],
    ["IPv6 link-local fe80::/10 is private", "https://[fe80::1]/"],
    ["IPv4-mapped IPv6 loopback is private", "https://[::ffff:127.0.0.1]/"],
    ["IPv4-mapped IPv6 of 10/8 is private", "https://[::ffff:10.0.0.1]/"],
    ["IPv4-mapped IPv6 in hex form is private", "https://[::ffff:a9fe:a9fe]/"],
    ["IPv4-compatible IPv6 loopback is private", "https://[::127.0.0.1]/"],
  ])("%s", (_name, url) => {
    expect(checkImageUrl(FIELD, url)).toEqual(PRIVATE);
  });

  it.each([
    ["plain http is rejected as a bad request", "http://cdn.example.com/a.png"],
    ["plain http to a private host is still a bad request", "http://127.0.0.1/a.png"],
    ["ftp is rejected", "ftp://cdn.example.com/a.png"],
    ["file URLs are rejected", "file:///etc/passwd"],
    ["garbage is rejected", "not a url"],
    ["an empty string is rejected", ""],
    ["a scheme-relative URL is rejected", "//cdn.example.com/a.png"],
    ["https without a host is rejected", "https://"],
  ])("%s", (_name, url) => {
    expect(checkImageUrl(FIELD, url)).toEqual(NOT_URL);
  });

  it("names the offending field in the message", () => {
    const result = checkImageUrl("garment_image_url", "http://x.test/");
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining("garment_image_url") });
  });
});

describe("checkImageUrl with data URLs", () => {
  it.each([
    ["PNG bytes are accepted", PNG, "image/png"],
    ["JPEG bytes are accepted", JPEG, "image/jpeg"],
    ["WebP bytes are accepted", WEBP, "image/webp"],
  ] as const)("%s", (_name, bytes, mime) => {
    expect(checkImageUrl(FIELD, dataUrl([...bytes]))).toEqual({
      ok: true,
      kind: "data",
      mime,
      bytes: bytes.length,
    });
  });

  it("trusts the magic number over the declared mime", () => {
    expect(checkImageUrl(FIELD, dataUrl(JPEG, "image/png"))).toMatchObject({ ok: true, mime: "image/jpeg" });
  });

  it("accepts an unpadded base64 payload", () => {
    const payload = Buffer.from(PNG.slice(0, 10)).toString("base64").replace(/=+$/, "");
    expect(checkImageUrl(FIELD, `data:image/png;base64,${payload}`)).toMatchObject({ ok: true, bytes: 10 });
  });

  it.each([
    ["GIF bytes are rejected", dataUrl(GIF, "image/gif")],
    ["GIF bytes labelled as PNG are rejected", dataUrl(GIF, "image/png")],
    ["text is rejected", dataUrl(Buffer.from("hello world"), "text/plain")],
    ["an empty payload is rejected", "data:image/png;base64,"],
    ["a RIFF file that is not WebP is rejected", dataUrl([...Buffer.from("RIFF"), 0, 0, 0, 0, ...Buffer.from("WAVE")])],
    ["a truncated PNG signature is rejected", dataUrl(PNG.slice(0, 4))],
  ])("%s", (_name, url) => {
    expect(checkImageUrl(FIELD, url)).toEqual(UNSUPPORTED);
  });

  it("accepts an image of exactly 10 MB", () => {
    const url = dataUrl(imageOfSize(PNG, MAX_IMAGE_BYTES));
    expect(checkImageUrl(FIELD, url)).toEqual({ ok: true, kind: "data", mime: "image/png", bytes: MAX_IMAGE_BYTES });
  });

  it("rejects an image of 10 MB plus one byte", () => {
    const url = dataUrl(imageOfSize(PNG, MAX_IMAGE_BYTES + 1));
    expect(checkImageUrl(FIELD, url)).toEqual({
      ok: false,
      code: "IMAGE_ERROR",
      message: "Image error: Image exceeds 10 MB",
    });
  });

  it("rejects an oversized payload by length even if it is not valid base64", () => {
    const url = `data:image/png;base64,${"!".repeat(16 * 1024 * 1024)}`;
    expect(checkImageUrl(FIELD, url)).toMatchObject({ ok: false, code: "IMAGE_ERROR" });
  });

  it.each([
    ["a data URL without base64 encoding is rejected", "data:image/png,rawbytes"],
    ["a data URL without a mime type is rejected", `data:;base64,${Buffer.from(PNG).toString("base64")}`],
    ["a data URL without a comma is rejected", "data:image/png;base64"],
    ["a data URL with extra parameters is rejected", `data:image/png;charset=utf-8;base64,${Buffer.from(PNG).toString("base64")}`],
    ["a bare data: scheme is rejected", "data:"],
  ])("%s", (_name, url) => {
    expect(checkImageUrl(FIELD, url)).toMatchObject({
      ok: false,
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/^Invalid person_image_url: /),
    });
  });

  it.each([
    ["invalid base64 characters are rejected", "data:image/png;base64,iVBO*w0K"],
    ["embedded whitespace is rejected", "data:image/png;base64,iVBO Rw0K"],
    ["URL-safe base64 characters are rejected", "data:image/png;base64,iVBO_w0-"],
    ["padding in the middle is rejected", "data:image/png;base64,iV==Rw0K"],
    ["a payload whose length cannot be base64 is rejected", "data:image/png;base64,iVBOR"],
    ["padding that leaves an incomplete quartet is rejected", "data:image/png;base64,iVBORw="],
  ])("%s", (_name, url) => {
    expect(checkImageUrl(FIELD, url)).toEqual({
      ok: false,
      code: "INVALID_REQUEST",
      message: `Invalid ${FIELD}: data URL payload is not valid base64.`,
    });
  });
});

describe("isPrivateHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["a.b.localhost", true],
    ["notlocalhost", false],
    ["localhost.example.com", false],
    ["127.0.0.1", true],
    ["[::ffff:7f00:1]", true],
    ["::ffff:127.0.0.1", true],
    ["[::ffff:8.8.8.8]", false],
    ["[2001:db8::1]", false],
    ["[fec0::1]", false],
    ["8.8.8.8", false],
    ["example.com", false],
  ] as const)("classifies %s as private=%s", (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected);
  });
});

describe("checkWebhookUrl", () => {
  it.each([
    ["a public HTTPS URL is accepted", "https://hooks.example.com/artemotion"],
    ["an HTTPS URL to a private host is accepted", "https://10.0.0.5/hook"],
    ["an HTTPS URL to localhost is accepted", "https://localhost:8443/hook"],
    ["http to localhost is accepted", "http://localhost:3000/hook"],
    ["http to 127.0.0.1 is accepted", "http://127.0.0.1:3000/hook"],
    ["http to elsewhere in 127/8 is accepted", "http://127.0.0.2/hook"],
    ["http to IPv6 loopback is accepted", "http://[::1]:3000/hook"],
  ])("%s", (_name, url) => {
    expect(checkWebhookUrl(url)).toEqual({ ok: true });
  });

  it.each([
    ["http to a public host is rejected", "http://hooks.example.com/hook"],
    ["http to a private non-loopback host is rejected", "http://192.168.1.10/hook"],
    ["http to a *.localhost subdomain is rejected", "http://app.localhost/hook"],
    ["ftp is rejected", "ftp://hooks.example.com/"],
    ["a data URL is rejected", "data:text/plain;base64,aGk="],
    ["garbage is rejected", "hooks.example.com/hook"],
    ["an empty string is rejected", ""],
  ])("%s", (_name, url) => {
    expect(checkWebhookUrl(url)).toEqual({
      ok: false,
      code: "INVALID_REQUEST",
      message: "Invalid webhook_url: must be an HTTPS URL (http:// is accepted only for loopback hosts).",
    });
  });
});
