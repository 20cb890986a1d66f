async function submitVision({ imageUrl, modelId, prompt }) {
  const res = await fetch("https://app.artemotion.ai/api/v1/vision", {
    method: "POST",
    headers: {
      "Authorization": `Bearer ${process.env.AE_API_KEY}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ model_id: modelId, image_url: imageUrl, prompt }),
  });

  if (!res.ok) {
    const err = await res.json();
    throw new Error(`[${err.code}] ${err.error}`);
  }

  return res.json(); // { job_id, poll_url, credits_used, credits_left }
}

// Caption an image
const job = await submitVision({
  modelId:  "moondream3-preview/caption",
  imageUrl: "https://example.com/photo.jpg",
});
console.log(`Queued: ${job.job_id} (${job.credits_used} credits)`);
