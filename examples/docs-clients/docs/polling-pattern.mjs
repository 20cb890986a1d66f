async function runTryon({ personUrl, garmentUrl, garmentType, apiKey }) {
  // 1. Submit
  const submit = await fetch("https://app.artemotion.ai/api/v1/tryon", {
    method: "POST",
    headers: {
      "Authorization": `Bearer ${apiKey}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      person_image_url: personUrl,
      garment_image_url: garmentUrl,
      garment_type: garmentType ?? "clothing",
    }),
  });

  if (!submit.ok) {
    const err = await submit.json();
    throw new Error(`Submit failed [${err.code}]: ${err.error}`);
  }

  const { poll_url, credits_used } = await submit.json();
  console.log(`Queued — ${credits_used} credits used`);

  // 2. Poll every 3 seconds
  let delay = 3000;
  while (true) {
    await new Promise(r => setTimeout(r, delay));
    const poll = await fetch(poll_url, {
      headers: { "Authorization": `Bearer ${apiKey}` },
    });
    const data = await poll.json();

    if (data.status === "completed") return data.images;
    if (data.status === "failed")    throw new Error("Generation failed");

    delay = Math.min(delay * 1.2, 10_000); // slow down over time
  }
}

// Usage
const images = await runTryon({
  personUrl:   "https://example.com/model.jpg",
  garmentUrl:  "https://example.com/tshirt.jpg",
  garmentType: "top",
  apiKey:      process.env.AE_API_KEY,
});
console.log("Result image:", images[0]);
