async function pollJob(pollUrl, apiKey) {
  while (true) {
    const res = await fetch(pollUrl, {
      headers: { "Authorization": `Bearer ${apiKey}` },
    });
    const data = await res.json();

    if (data.status === "completed") {
      return data.images;          // string[] of image URLs
    }
    if (data.status === "failed") {
      throw new Error("Try-on failed: " + (data.logs?.[0] ?? "unknown"));
    }

    // Still queued or processing — wait and retry
    await new Promise(r => setTimeout(r, 3000));
  }
}

const images = await pollJob(poll_url, process.env.AE_API_KEY);
console.log("Result:", images[0]);
