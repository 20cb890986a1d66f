import os, time, requests

AE_API_KEY = os.environ["AE_API_KEY"]
BASE_URL   = "https://app.artemotion.ai/api/v1"

def run_tryon(person_url, garment_url, garment_type="clothing"):
    # Submit
    r = requests.post(
        f"{BASE_URL}/tryon",
        headers={"Authorization": f"Bearer {AE_API_KEY}"},
        json={
            "person_image_url":  person_url,
            "garment_image_url": garment_url,
            "garment_type":      garment_type,
        },
    )
    r.raise_for_status()
    job = r.json()
    print(f"Queued: {job['job_id']} ({job['credits_used']} credits)")

    # Poll
    delay = 3
    while True:
        time.sleep(delay)
        poll = requests.get(
            job["poll_url"],
            headers={"Authorization": f"Bearer {AE_API_KEY}"},
        )
        poll.raise_for_status()
        data = poll.json()

        if data["status"] == "completed":
            return data["images"]
        if data["status"] == "failed":
            raise RuntimeError("Generation failed")
        delay = min(delay * 1.2, 10)

images = run_tryon(
    person_url="https://example.com/model.jpg",
    garment_url="https://example.com/hoodie.jpg",
    garment_type="top",
)
print("Result:", images[0])
