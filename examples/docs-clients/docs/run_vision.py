import os, time, requests

AE_API_KEY = os.environ["AE_API_KEY"]
BASE_URL   = "https://app.artemotion.ai/api/v1"

def run_vision(image_url, model_id="moondream2", **kwargs):
    # Submit
    r = requests.post(
        f"{BASE_URL}/vision",
        headers={"Authorization": f"Bearer {AE_API_KEY}"},
        json={"model_id": model_id, "image_url": image_url, **kwargs},
    )
    r.raise_for_status()
    job = r.json()

    # Poll
    while True:
        time.sleep(2)
        poll = requests.get(
            job["poll_url"],
            headers={"Authorization": f"Bearer {AE_API_KEY}"},
        )
        poll.raise_for_status()
        data = poll.json()

        if data["status"] == "completed":
            return data["result"]
        if data["status"] == "failed":
            raise RuntimeError(f"Vision job failed: {data.get('error')}")

# Caption
result = run_vision("https://example.com/photo.jpg", "moondream3-preview/caption", length="long")
print("Caption:", result["text"])

# VQA
result = run_vision("https://example.com/photo.jpg", "llava-next", prompt="What is in this image?")
print("Answer:", result["text"])

# NSFW check
result = run_vision("https://example.com/photo.jpg", "imageutils/nsfw")
print(f"NSFW: {result['is_nsfw']} (probability: {result.get('nsfw_probability', 'n/a')})")
