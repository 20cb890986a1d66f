import request from "supertest";
import { describe, expect, it } from "vitest";
import { buildApp } from "./app.js";

const auth = { Authorization: "Bearer ae_test_embedded1" };
/** poll_url and image URLs are absolute; supertest wants the path. */
const path = (url: string) => new URL(url).pathname + new URL(url).search;

describe("the mock mounted at /mock in the user's Express app (supertest, nothing listening)", () => {
  it("answers the catalog under /mock/api/v1 next to the app's own routes", async () => {
    const { app } = buildApp({ withMock: true });
    await request(app).get("/healthz").expect(200, { ok: true });
    const res = await request(app).get("/mock/api/v1/models").expect(200);
    expect(res.body.models.map((m: { id: string }) => m.id)).toEqual(["image-apps-v2/virtual-try-on", "flux-2-lora-gallery/virtual-tryon"]);
  });

  it("runs a try-on whose poll_url and result image point back under /mock", async () => {
    const { app } = buildApp({ withMock: true });
    const submit = await request(app).post("/mock/api/v1/tryon").set(auth)
      .send({ person_image_url: "https://example.com/person.jpg", garment_image_url: "https://example.com/hat.jpg", garment_type: "hat" })
      .expect(202);
    expect(path(submit.body.poll_url)).toMatch(/^\/mock\/api\/v1\/jobs\//);
    const poll = await request(app).get(path(submit.body.poll_url)).set(auth).expect(200);
    expect(poll.body.status).toBe("completed");
    await request(app).get(path(poll.body.images[0])).expect(200).expect("Content-Type", "image/png");
  });

  it("is driven through its control API under /mock/__mock: an armed failure reaches the next submit", async () => {
    const { app, mock } = buildApp({ withMock: true });
    await request(app).post("/mock/__mock/scenarios").send({ scenario: "submission_error", key: "ae_test_embedded1" }).expect(201);
    const res = await request(app).post("/mock/api/v1/vision").set(auth).send({ image_url: "https://example.com/p.jpg" }).expect(502);
    expect(res.body).toEqual({ error: expect.any(String), code: "SUBMISSION_ERROR" });
    expect(mock!.plane.requests(5)).toMatchObject({ requests: [{ path: "/api/v1/vision", status: 502, scenario: "submission_error" }] });
  });

  it("is absent when the app is built for production", async () => {
    const { app } = buildApp({ withMock: false });
    await request(app).get("/mock/api/v1/models").expect(404);
  });
});
