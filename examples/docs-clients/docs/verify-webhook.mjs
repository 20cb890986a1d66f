import crypto from "node:crypto";

export function verifyWebhook(rawBody, headers, secret) {
  const sig = headers["x-artemotion-signature"];
  const ts  = headers["x-artemotion-timestamp"];
  if (!sig?.startsWith("v1=") || !ts) return false;

  const expected = crypto
    .createHmac("sha256", secret)
    .update(`${ts}.${rawBody}`)
    .digest("hex");
  const provided = sig.slice(3);

  if (provided.length !== expected.length) return false;
  if (!crypto.timingSafeEqual(Buffer.from(provided), Buffer.from(expected))) return false;

  // 5-minute replay window
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  return true;
}
