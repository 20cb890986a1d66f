import { TRYON_BODY, type RequestOptions } from "./client.js";

/**
 * The documented bad requests, one row each: the behaviour table that
 * test/bad-requests.test.ts checks and test/entry-parity.test.ts sends through
 * both entry points.
 */
export const KEY = "ae_test_badrequests";
const IMG = "https://example.com/photo.jpg";
const JSON_TYPE = { "Content-Type": "application/json" };

export interface Case extends RequestOptions {
  name: string;
  method: string;
  /** Under /api/v1, or an absolute path from the origin when it starts with "//". */
  path: string;
  status: number;
  code: string;
  error: string;
  allow?: string;
}

const bad = (name: string, method: string, path: string, opts: RequestOptions, status: number, code: string, error: string, allow?: string): Case => ({
  name, method, path, ...opts, status, code, error, allow,
});

export const CASES: Case[] = [
  // Missing and malformed fields
  bad("try-on without garment_image_url", "POST", "/tryon", { body: { person_image_url: IMG } }, 400, "INVALID_REQUEST", 'Missing required field "garment_image_url".'),
  bad("vision without image_url", "POST", "/vision", { body: { model_id: "moondream2" } }, 400, "INVALID_REQUEST", 'Missing required field "image_url".'),
  bad("generate without prompt", "POST", "/generate", { body: { model_id: "flux-pro" } }, 400, "INVALID_REQUEST", 'Missing required field "prompt".'),
  bad("an empty person_image_url", "POST", "/tryon", { body: { ...TRYON_BODY, person_image_url: "" } }, 400, "INVALID_REQUEST", 'Missing required field "person_image_url" (it is empty).'),
  bad("image_url of the wrong type", "POST", "/vision", { body: { image_url: 42 } }, 400, "INVALID_REQUEST", 'Invalid field "image_url": must be string.'),
  bad("an unknown garment_type", "POST", "/tryon", { body: { ...TRYON_BODY, garment_type: "shoes" } }, 400, "INVALID_REQUEST",
    'Invalid field "garment_type". Must be one of: top, bottom, glasses, hat, sneakers, clothing.'),
  bad("an unknown task_type", "POST", "/vision", { body: { model_id: "moondream-next", image_url: IMG, task_type: "detect" } }, 400, "INVALID_REQUEST",
    'Invalid field "task_type". Must be one of: caption, query.'),
  bad("an http:// image URL", "POST", "/vision", { body: { image_url: "http://example.com/photo.jpg" } }, 400, "INVALID_REQUEST",
    "Invalid image_url: must be an HTTPS URL or a base64 data URL."),
  // Unknown models
  bad("an unknown vision model", "POST", "/vision", { body: { model_id: "bad-model", image_url: IMG } }, 400, "INVALID_MODEL",
    'Unknown model_id "bad-model". GET /api/v1/vision for the model list.'),
  bad("an unknown try-on model", "POST", "/tryon", { body: { ...TRYON_BODY, model_id: "bad-model" } }, 400, "INVALID_MODEL",
    'Unknown model_id "bad-model". GET /api/v1/models for the model list.'),
  bad("a vision model on /tryon", "POST", "/tryon", { body: { ...TRYON_BODY, model_id: "moondream2" } }, 400, "INVALID_MODEL",
    'Unknown model_id "moondream2". GET /api/v1/models for the model list.'),
  // Fields a model requires
  bad("llava-next without prompt", "POST", "/vision", { body: { model_id: "llava-next", image_url: IMG } }, 400, "MISSING_FIELD",
    'model_id "llava-next" requires a "prompt" field (e.g. "Describe this image in detail.").'),
  bad("llava-next with a blank prompt", "POST", "/vision", { body: { model_id: "llava-next", image_url: IMG, prompt: "   " } }, 400, "MISSING_FIELD",
    'model_id "llava-next" requires a "prompt" field (e.g. "Describe this image in detail.").'),
  bad("moondream2/object-detection without object", "POST", "/vision", { body: { model_id: "moondream2/object-detection", image_url: IMG, prompt: "car" } }, 400,
    "MISSING_FIELD", 'model_id "moondream2/object-detection" requires an "object" field (e.g. "car").'),
  bad("moondream-next task_type query without prompt", "POST", "/vision", { body: { model_id: "moondream-next", image_url: IMG, task_type: "query" } }, 400,
    "MISSING_FIELD", 'model_id "moondream-next" with task_type "query" requires a "prompt" field with the question to ask.'),
  // Bodies that are not a JSON object
  bad("malformed JSON", "POST", "/vision", { raw: '{"image_url": ', headers: JSON_TYPE }, 400, "INVALID_REQUEST", "Invalid JSON body."),
  bad("a text/plain body", "POST", "/vision", { raw: "image_url=https://example.com/a.jpg", headers: { "Content-Type": "text/plain" } }, 400,
    "INVALID_REQUEST", "Content-Type must be application/json."),
  bad("a body with no Content-Type", "POST", "/tryon", { raw: Buffer.from(JSON.stringify(TRYON_BODY)) }, 400, "INVALID_REQUEST", "Content-Type must be application/json."),
  bad("a JSON array body", "POST", "/tryon", { body: [TRYON_BODY] }, 400, "INVALID_REQUEST", "Request body must be a JSON object."),
  bad("a JSON string body", "POST", "/generate", { raw: '"a prompt"', headers: JSON_TYPE }, 400, "INVALID_REQUEST", "Invalid JSON body."),
  // Polls
  bad("a poll without model_id", "GET", "/jobs/a1b2c3d4", {}, 400, "INVALID_REQUEST", 'Missing required query parameter "model_id".'),
  bad("a poll with an unknown model_id", "GET", "/jobs/a1b2c3d4?model_id=bad-model", {}, 400, "INVALID_MODEL",
    'Unknown model_id "bad-model". GET /api/v1/models or /api/v1/vision for the model lists.'),
  bad("a poll of an unknown job", "GET", "/jobs/a1b2c3d4?model_id=moondream2", {}, 404, "NOT_FOUND", 'Job not found: "a1b2c3d4" (model_id "moondream2").'),
  // Methods and routes
  bad("DELETE /tryon", "DELETE", "/tryon", {}, 405, "METHOD_NOT_ALLOWED", "Method DELETE not allowed on /tryon. Allowed: POST.", "POST"),
  bad("POST /models", "POST", "/models", { key: null, body: {} }, 405, "METHOD_NOT_ALLOWED", "Method POST not allowed on /models. Allowed: GET.", "GET"),
  bad("PUT /jobs/x", "PUT", "/jobs/x?model_id=moondream2", { body: {} }, 405, "METHOD_NOT_ALLOWED", "Method PUT not allowed on /jobs/x. Allowed: GET.", "GET"),
  bad("PATCH /vision", "PATCH", "/vision", { key: null }, 405, "METHOD_NOT_ALLOWED", "Method PATCH not allowed on /vision. Allowed: GET, POST.", "GET, POST"),
  bad("an unknown path under /api/v1", "GET", "/tryon/history", {}, 404, "NOT_FOUND", "No route GET /api/v1/tryon/history."),
  bad("an unknown path outside /api/v1", "GET", "//v2/models", { key: null }, 404, "NOT_FOUND", "No route GET /v2/models. The API is under /api/v1."),
  // Keys
  bad("a submit with no Authorization", "POST", "/tryon", { key: null, body: TRYON_BODY }, 401, "UNAUTHORIZED", "Missing Authorization header"),
  bad("a poll with no Authorization", "GET", "/jobs/a1b2c3d4?model_id=moondream2", { key: null }, 401, "UNAUTHORIZED", "Missing Authorization header"),
  bad("a missing key before a bad body", "POST", "/vision", { key: null, body: [] }, 401, "UNAUTHORIZED", "Missing Authorization header"),
  bad("a key with the wrong prefix", "POST", "/vision", { key: "sk_live_abcdefgh1234", body: { image_url: IMG } }, 401, "UNAUTHORIZED", "Invalid API key"),
  bad("a key too short after the prefix", "POST", "/vision", { key: "ae_test_abc1234", body: { image_url: IMG } }, 401, "UNAUTHORIZED", "Invalid API key"),
  bad("a key with characters outside [A-Za-z0-9_]", "POST", "/vision", { key: "ae_live_abcd-efgh.1234", body: { image_url: IMG } }, 401, "UNAUTHORIZED", "Invalid API key"),
  bad("a key sent as Basic", "POST", "/vision", { headers: { Authorization: `Basic ${KEY}` }, body: { image_url: IMG } }, 401, "UNAUTHORIZED", "Invalid API key"),
  bad("a key sent without a scheme", "GET", "/jobs/a1b2c3d4?model_id=moondream2", { headers: { Authorization: KEY } }, 401, "UNAUTHORIZED", "Invalid API key"),
];

