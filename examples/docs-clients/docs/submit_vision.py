import os, requests

def submit_vision(image_url, model_id="moondream2", prompt=None):
    payload = {"model_id": model_id, "image_url": image_url}
    if prompt:
        payload["prompt"] = prompt
    r = requests.post(
        "https://app.artemotion.ai/api/v1/vision",
        headers={"Authorization": f"Bearer {os.environ['AE_API_KEY']}"},
        json=payload,
    )
    r.raise_for_status()
    return r.json()

# VQA example
job = submit_vision(
    image_url="https://example.com/photo.jpg",
    model_id="llava-next",
    prompt="Describe this image in detail.",
)
print(f"Queued {job['job_id']} — {job['credits_used']} credits")
