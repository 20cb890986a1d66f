import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/index.js";
import { createWebhookReceiver } from "../src/webhooks/receiver.js";

const KEY = "ae_test_embed0001";
const auth = { Authorization: `Bearer ${KEY}` };

/** A user's own Express app with the mock mounted under `mount` (no listen: supertest binds port 0 per request). */
function userApp(mount: string, partial: Parameters<typeof createApp>[0] = {}) {
  const mock = createApp({ timing: "instant", logLevel: "silent", ...partial });
  const app = express();
  app.get("/", (_req, res) => res.type("text").send("the user's own home page"));
  app.use(mount, mock.app);
  return { app, mock };
}

const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

describe("createApp() mounted under a path of the user's Express app", () => {
  it("answers /mock/api/v1/* and hands out a poll_url that keeps the mount path", async () => {
    const { app } = userApp("/mock");
    const models = await request(app).get("/mock/api/v1/models").expect(200);
    expect(models.body.models.map((m: { id: string }) => m.id)).toContain("image-apps-v2/virtual-try-on");

    const submit = await request(app).post("/mock/api/v1/vision").set(auth).send({ image_url: "https://example.com/p.jpg" }).expect(202);
    expect(pathOf(submit.body.poll_url)).toMatch(/^\/mock\/api\/v1\/jobs\/[^?]+\?model_id=moondream2$/);
    const poll = await request(app).get(pathOf(submit.body.poll_url)).set(auth).expect(200);
    expect(poll.body).toMatchObject({ job_id: submit.body.job_id, status: "completed" });
  });

  it("answers a submit behind the user's own body parsers, as it does without them", async () => {
    const mock = createApp({ timing: "instant", logLevel: "silent", seed: 3 });
    const app = express();
    app.use(express.json());
    app.use("/mock", mock.app);
    const submit = await request(app).post("/mock/api/v1/vision").set(auth).send({ image_url: "https://example.com/p.jpg" }).timeout(5_000).expect(202);
    expect(submit.body).toMatchObject({ status: "queued", model_id: "moondream2", credits_left: 998 });
    const invalid = await request(app).post("/mock/api/v1/vision").set(auth).send({ image_url: 7 }).timeout(5_000).expect(400);
    expect(invalid.body.code).toBe("INVALID_REQUEST");

    // A parser that reads the stream without saying so (no req._body): a clear 400, never a hang.
    const raw = express();
    raw.use((req, _res, next) => void req.resume().on("end", () => next()));
    raw.use("/mock", createApp({ logLevel: "silent" }).app);
    const refused = await request(raw).post("/mock/api/v1/vision").set(auth).send({ image_url: "https://example.com/p.jpg" }).timeout(5_000).expect(400);
    expect(refused.body).toEqual({ error: "Request body was already read by another middleware: mount the mock before body parsers.", code: "INVALID_REQUEST" });
  });

  it("serves the result images it links to under the mount path", async () => {
    const { app } = userApp("/mock");
    const submit = await request(app).post("/mock/api/v1/tryon").set(auth).send({ person_image_url: "https://example.com/p.jpg", garment_image_url: "https://example.com/g.jpg" }).expect(202);
    const poll = await request(app).get(pathOf(submit.body.poll_url)).set(auth).expect(200);
    const image = pathOf(poll.body.images[0]);
    expect(image).toMatch(/^\/mock\/cdn\/results\//);
    const png = await request(app).get(image).expect(200);
    expect(png.headers["content-type"]).toBe("image/png");
  });

  it("answers the control API under the mount and journals paths relative to the mock, without its own calls", async () => {
    const { app, mock } = userApp("/tools/ae-mock");
    await request(app).get("/tools/ae-mock/api/v1/models").expect(200);
    await request(app).get("/tools/ae-mock/__mock/health").expect(200, /"status":"ok"/);
    const journal = await request(app).get("/tools/ae-mock/__mock/requests").expect(200);
    expect(journal.body.requests.map((r: { path: string }) => r.path)).toEqual(["/api/v1/models"]);
    expect(mock.plane.requests(10)).toMatchObject({ requests: [{ path: "/api/v1/models", status: 200 }] });
  });

  it("leaves the user's own routes alone and answers unknown paths under the mount with the JSON 404", async () => {
    const { app } = userApp("/mock");
    await request(app).get("/").expect(200, "the user's own home page");
    const missing = await request(app).get("/mock/api/v1/nope").set(auth).expect(404);
    expect(missing.body).toEqual({ error: expect.stringContaining("/api/v1/nope"), code: "NOT_FOUND" });
    const outside = await request(app).get("/mock/elsewhere").expect(404);
    expect(outside.body.code).toBe("NOT_FOUND");
    await request(app).get("/api/v1/models").expect(404); // not the mock: the user's app has no such route
  });

  it("puts the mount path into the image URLs of a webhook's payload too", async () => {
    const receiver = await createWebhookReceiver({ secret: "whsec_embed" });
    try {
      const { app } = userApp("/mock");
      const submit = await request(app).post("/mock/api/v1/generate").set(auth)
        .send({ prompt: "a hat", webhook_url: receiver.url, webhook_secret: "whsec_embed" }).expect(202);
      const delivery = await receiver.waitFor((d) => (d.body as { request_id?: string }).request_id === submit.body.job_id);
      expect(delivery.verification).toMatchObject({ ok: true, event: "job.completed" });
      const images = (delivery.body as { result: { images: string[] } }).result.images;
      expect(pathOf(images[0]!)).toMatch(/^\/mock\/cdn\/results\//);
    } finally {
      await receiver.close();
    }
  });

  it("still answers at the root when mounted there, as before", async () => {
    const { app } = userApp("/");
    const submit = await request(app).post("/api/v1/vision").set(auth).send({ image_url: "https://example.com/p.jpg" }).expect(202);
    expect(pathOf(submit.body.poll_url)).toMatch(/^\/api\/v1\/jobs\//);
    await request(app).get(pathOf(submit.body.poll_url)).set(auth).expect(200);
  });
});
