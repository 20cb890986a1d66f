import fetch from "node-fetch"; // or built-in fetch in Node 18+

const AE_API_KEY = process.env.AE_API_KEY!;
const BASE_URL   = "https://app.artemotion.ai/api/v1";

async function runTryon(opts: {
  personUrl:   string;
  garmentUrl:  string;
  garmentType?: string;
}): Promise<string[]> {
  const submit = await fetch(`${BASE_URL}/tryon`, {
    method:  "POST",
    headers: {
      Authorization:  `Bearer ${AE_API_KEY}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      person_image_url:  opts.personUrl,
      garment_image_url: opts.garmentUrl,
      garment_type:      opts.garmentType ?? "clothing",
    }),
  });

  if (!submit.ok) throw new Error(`Submit failed: ${submit.status}`);
  const job = await submit.json() as { poll_url: string; credits_used: number };
  console.log(`Queued — ${job.credits_used} credits used`);

  let delay = 3000;
  while (true) {
    await new Promise(r => setTimeout(r, delay));
    const poll = await fetch(job.poll_url, {
      headers: { Authorization: `Bearer ${AE_API_KEY}` },
    });
    const data = await poll.json() as { status: string; images?: string[] };
    if (data.status === "completed") return data.images!;
    if (data.status === "failed")    throw new Error("Generation failed");
    delay = Math.min(delay * 1.2, 10_000);
  }
}

// Usage
const images = await runTryon({
  personUrl:   "https://example.com/model.jpg",
  garmentUrl:  "https://example.com/jeans.jpg",
  garmentType: "bottom",
});
console.log("Result:", images[0]);
