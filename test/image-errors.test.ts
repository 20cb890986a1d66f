import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { control, startMock, TRYON_BODY, type TestClient } from "./helpers/client.js";
import type { MockServer } from "../src/server.js";

const PRIVATE = "Image error: Private URLs not allowed";
const UNSUPPORTED = "Image error: Unsupported image format. Use JPEG, PNG or WebP.";
const MB10 = 10 * 1024 * 1024;

const GIF = Buffer.concat([Buffer.from("GIF89a"), Buffer.alloc(32)]);
const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32)]);
const WEBP = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WEBP"), Buffer.alloc(32)]);
const dataUrl = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString("base64")}`;

let server: MockServer;
let api: TestClient;
beforeAll(async () => ({ server, api } = await startMock({ rateLimits: false })));
afterAll(() => server.close());
beforeEach(() => server.setAccount(api.key, 1000));

const balance = async () => (await control(server, "GET", `/accounts/${api.key}`)).body.credits as number;

describe("image inputs on /tryon and /vision (never fetched)", () => {
  it.each([
    ["a private IPv4 address", "https://10.1.2.3/person.jpg"],
    ["192.168/16", "https://192.168.1.20/person.jpg"],
    ["an IPv4 loopback", "https://127.0.0.1/person.jpg"],
    ["an IPv4 loopback written as one number", "https://2130706433/person.jpg"],
    ["an IPv4 loopback with a trailing dot", "https://127.0.0.1./person.jpg"],
    ["a link-local IPv4", "https://169.254.169.254/latest/meta-data"],
    ["an unspecified IPv4", "https://0.0.0.0/x.jpg"],
    ["the IPv6 loopback", "https://[::1]/x.jpg"],
    ["an IPv4-mapped IPv6 loopback", "https://[::ffff:127.0.0.1]/x.jpg"],
    ["a unique-local IPv6", "https://[fd00::1]/x.jpg"],
    ["localhost", "https://localhost/x.jpg"],
    ["localhost with a port", "https://localhost:8443/x.jpg"],
    ["localhost in capitals with a trailing dot", "https://LOCALHOST./x.jpg"],
  ])("refuses %s (%s) as a private URL and charges nothing", async (_what, url) => {
    const before = await balance();
    for (const [path, body] of [
      ["/tryon", { ...TRYON_BODY, person_image_url: url }],
      ["/tryon", { ...TRYON_BODY, garment_image_url: url }],
      ["/vision", { image_url: url }],
    ] as const) {
      const r = await api.post(path, body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ code: "IMAGE_ERROR", error: PRIVATE });
    }
    expect(await balance()).toBe(before);
  });

  it("accepts a public https URL, including a public IP literal, without fetching it", async () => {
    for (const url of ["https://example.com/p.jpg", "https://8.8.8.8/p.jpg", "https://[2001:4860:4860::8888]/p.jpg"]) {
      expect((await api.post("/vision", { image_url: url })).status).toBe(202);
    }
  });

  it.each(["http://example.com/p.jpg", "ftp://example.com/p.jpg", "example.com/p.jpg", "file:///etc/passwd"])(
    "answers %s with INVALID_REQUEST, not IMAGE_ERROR",
    async (url) => {
      const r = await api.post("/tryon", { ...TRYON_BODY, person_image_url: url });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ code: "INVALID_REQUEST", error: "Invalid person_image_url: must be an HTTPS URL or a base64 data URL." });
    },
  );

  it("refuses a data: URL whose bytes are a GIF, whatever MIME type it claims", async () => {
    for (const mime of ["image/gif", "image/png", "image/jpeg"]) {
      const r = await api.post("/vision", { image_url: dataUrl(mime, GIF) });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ code: "IMAGE_ERROR", error: UNSUPPORTED });
    }
  });

  it("accepts data: URLs whose bytes are JPEG, PNG or WebP", async () => {
    for (const bytes of [JPEG, PNG_BYTES, WEBP]) {
      expect((await api.post("/vision", { image_url: dataUrl("image/jpeg", bytes) })).status).toBe(202);
    }
  });

  it("refuses a data: URL over 10 MB with IMAGE_ERROR (test/body-limit.test.ts shows exactly 10 MB is taken)", async () => {
    const over = Buffer.concat([PNG_BYTES, Buffer.alloc(MB10 + 1 - PNG_BYTES.length)]);
    const r = await api.post("/tryon", { ...TRYON_BODY, garment_image_url: dataUrl("image/png", over) });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: "IMAGE_ERROR", error: "Image error: Image exceeds 10 MB" });
  });

  it("answers a data: URL that is not base64 with INVALID_REQUEST", async () => {
    const r = await api.post("/vision", { image_url: "data:image/png;base64,@@@not-base64@@@" });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("INVALID_REQUEST");
  });
});
