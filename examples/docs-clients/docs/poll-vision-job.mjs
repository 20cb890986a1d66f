async function pollVisionJob(pollUrl, apiKey) {
  while (true) {
    const res = await fetch(pollUrl, {
      headers: { "Authorization": `Bearer ${apiKey}` },
    });
    const data = await res.json();

    if (data.status === "completed") {
      return data.result; // { text, objects, annotated_image, is_nsfw, nsfw_probability } — all fields always present
    }
    if (data.status === "failed") {
      throw new Error("Vision job failed: " + (data.error ?? "unknown"));
    }

    // queued or processing — wait and retry
    await new Promise(r => setTimeout(r, 2000));
  }
}

// Full example
const job = await fetch("https://app.artemotion.ai/api/v1/vision", {
  method: "POST",
  headers: { "Authorization": `Bearer ${process.env.AE_API_KEY}`, "Content-Type": "application/json" },
  body: JSON.stringify({ model_id: "moondream3-preview/caption", image_url: "https://example.com/photo.jpg" }),
}).then(r => r.json());

const result = await pollVisionJob(job.poll_url, process.env.AE_API_KEY);
console.log("Caption:", result.text);
