// The fixed body both bare targets answer with: the shape and size of a
// completed try-on poll, so the bytes on the wire match the mock's poll route.
export const BODY = {
  job_id: "5f0c2a4e-8d1b-4c3a-9e7f-0123456789ab",
  model_id: "image-apps-v2/virtual-try-on",
  status: "completed",
  images: ["http://127.0.0.1:4010/cdn/results/5f0c2a4e-8d1b-4c3a-9e7f-0123456789ab/0.png"],
  elapsed_ms: 18734,
};
