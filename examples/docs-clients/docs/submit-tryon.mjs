const res = await fetch("https://app.artemotion.ai/api/v1/tryon", {
  method: "POST",
  headers: {
    "Authorization": `Bearer ${process.env.AE_API_KEY}`,
    "Content-Type": "application/json",
  },
  body: JSON.stringify({
    person_image_url: "https://example.com/person.jpg",
    garment_image_url: "https://example.com/glasses.jpg",
    garment_type: "glasses",
  }),
});

const { job_id, poll_url, credits_used } = await res.json();
console.log(`Job ${job_id} queued — used ${credits_used} credits`);
