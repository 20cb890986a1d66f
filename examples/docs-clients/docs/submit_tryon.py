import os, requests

response = requests.post(
    "https://app.artemotion.ai/api/v1/tryon",
    headers={
        "Authorization": f"Bearer {os.environ['AE_API_KEY']}",
        "Content-Type": "application/json",
    },
    json={
        "person_image_url": "https://example.com/person.jpg",
        "garment_image_url": "https://example.com/glasses.jpg",
        "garment_type": "glasses",
    },
)
data = response.json()
print(f"Job {data['job_id']} queued — used {data['credits_used']} credits")
