import { describe, expect } from "vitest";
import { billable } from "./support/tests.js";
import { pollToTerminal, submit } from "./support/jobs.js";
import { fetchRecorded } from "./support/client.js";

const IMAGE = "https://example.com/photo.jpg";

/**
 * Declared cheapest first: on a paid target with a small budget, the suite
 * buys the most coverage it can and never starts a test it cannot pay for.
 */
describe("lifecycles, cheapest first", () => {
  billable("a caption job completes with a text result and every result field present", 2, ["submitVision 202", "getJob 200"], async ({ api }) => {
    const res = await submit(api, "/vision", { model_id: "moondream3-preview/caption", image_url: IMAGE });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("queued");
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(final.body.status).toBe("completed");
    expect(typeof final.body.elapsed_ms).toBe("number");
    expect(typeof final.body.result.text).toBe("string");
    expect(final.body.result).toMatchObject({ objects: null, annotated_image: null, is_nsfw: null, nsfw_probability: null });
  });

  billable("a detection job completes with objects and an annotated image", 2, ["submitVision 202", "getJob 200"], async ({ api }) => {
    const res = await submit(api, "/vision", { model_id: "florence-2-large/object-detection", image_url: IMAGE });
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(final.body.status).toBe("completed");
    expect(Array.isArray(final.body.result.objects)).toBe(true);
    expect(final.body.result.text).toBeNull();
  });

  billable("an NSFW check completes with is_nsfw and nsfw_probability", 2, ["submitVision 202", "getJob 200"], async ({ api }) => {
    const res = await submit(api, "/vision", { model_id: "imageutils/nsfw", image_url: IMAGE });
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(typeof final.body.result.is_nsfw).toBe("boolean");
    expect(typeof final.body.result.nsfw_probability).toBe("number");
    expect(final.body.result.text).toBeNull();
  });

  billable("a VQA job answers the prompt with text", 2, ["submitVision 202", "getJob 200"], async ({ api }) => {
    const res = await submit(api, "/vision", { model_id: "moondream3-preview/query", image_url: IMAGE, prompt: "What objects are on the table?" });
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(typeof final.body.result.text).toBe("string");
  });

  billable("credits_left drops by exactly credits_used on each submit", 4, ["submitVision 202"], async ({ api }) => {
    const first = await submit(api, "/vision", { model_id: "moondream2", image_url: IMAGE });
    const second = await submit(api, "/vision", { model_id: "moondream2", image_url: IMAGE });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.body.credits_used).toBe(2);
    expect(second.body.credits_left).toBe(first.body.credits_left - second.body.credits_used);
  });

  billable("a generate job completes with image URLs", 10, ["submitGenerate 202", "getJob 200"], async ({ api }) => {
    const res = await submit(api, "/generate", { prompt: "Cinematic portrait, golden hour" });
    expect(res.status).toBe(202);
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(final.body.status).toBe("completed");
    expect(final.body.images.length).toBeGreaterThan(0);
  });

  billable("a try-on job completes with image URLs, polled exactly as poll_url says", 15, ["submitTryon 202", "getJob 200"], async ({ api }) => {
    const res = await submit(api, "/tryon", { person_image_url: "https://example.com/model.jpg", garment_image_url: "https://example.com/tshirt.jpg", garment_type: "top" });
    expect(res.status).toBe(202);
    expect(res.body.credits_used).toBe(15);
    const { final } = await pollToTerminal(api, res.body.poll_url);
    expect(final.body.status).toBe("completed");
    const img = await fetchRecorded(final.body.images[0]);
    expect(img.status).toBe(200);
  });
});
