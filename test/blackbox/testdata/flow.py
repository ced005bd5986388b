"""Ocoya's "Typical Publishing Flow" in Python with the standard library's
urllib, following docs.ocoya.com's Python examples (which use requests; the
calls are the same). Only the base URL differs from Ocoya's; the black-box
tests run it against Herald and check the summary it prints.

Environment: OCOYA_API_KEY; OCOYA_BASE_URL (default Ocoya's);
SCHEDULED_AT and RESCHEDULED_AT (ISO-8601 times in the future);
MEDIA_URL (an image Herald can download; Ocoya's examples use
https://yourmediaurl.com).
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request

BASE_URL = os.environ.get("OCOYA_BASE_URL", "https://app.ocoya.com/api/_public/v1")


def api(method, path, body=None, allow_error=False):
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        BASE_URL + path,
        data=data,
        method=method,
        headers={
            "Accept": "application/json",
            # urllib would send form encoding with a body otherwise.
            "Content-Type": "application/json",
            "X-API-Key": os.environ["OCOYA_API_KEY"],
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        answer = json.load(error)
        if not allow_error:
            raise SystemExit(f"{method} {path}: {error.code} {answer}")
        return error.code, answer


# 1. Send your first request.
_, me = api("GET", "/me")

# 2. List workspaces and choose one.
_, workspaces = api("GET", "/workspaces")
workspace_id = workspaces[0]["id"]

# 3. Connect social profiles: the URL a signed-in user opens.
_, connect = api("GET", f"/social-profiles/connection-url?workspaceId={workspace_id}&provider=mastodon")
_, connect_post = api("POST", f"/social-profiles/connection-url?workspaceId={workspace_id}", {"provider": "mastodon"})

# 4. List social profiles.
_, profiles = api("GET", f"/social-profiles?workspaceId={workspace_id}")

# 5. Resolve optional context.
_, brand_kits = api("GET", f"/brand-kits?workspaceId={workspace_id}")
_, hashtag_libraries = api("GET", f"/hashtag-libraries?workspaceId={workspace_id}")
_, studio_templates = api("GET", f"/studio-templates?workspaceId={workspace_id}")

# 6. Create a scheduled post.
_, created = api(
    "POST",
    f"/post?workspaceId={workspace_id}",
    {
        "caption": "Happy new year everyone!",
        "mediaUrls": [os.environ["MEDIA_URL"]],
        "socialProfileIds": [p["id"] for p in profiles],
        "scheduledAt": os.environ["SCHEDULED_AT"],
    },
)
post_group_id = created["postGroupId"]

# 7. List scheduled posts, and get the new one.
query = urllib.parse.urlencode({"workspaceId": workspace_id, "statuses": "SCHEDULED", "page": 0, "perPage": 10})
_, posts = api("GET", f"/post?{query}")
_, post = api("GET", f"/post/{post_group_id}")

# 8. Reschedule it.
_, patched = api("PATCH", f"/post/{post_group_id}", {"scheduledAt": os.environ["RESCHEDULED_AT"]})
_, rescheduled = api("GET", f"/post/{post_group_id}")

# 9. Delete it; it is gone.
_, deleted = api("DELETE", f"/post/{post_group_id}")
after_delete, _ = api("GET", f"/post/{post_group_id}", allow_error=True)

print(json.dumps({
    "me": me["email"],
    "workspaceId": workspace_id,
    "authUrl": connect["authUrl"],
    "authProvider": connect["authProvider"],
    "connectUrl": connect_post["url"],
    "profileIds": [p["id"] for p in profiles],
    "brandKits": len(brand_kits),
    "hashtagLibraries": len(hashtag_libraries),
    "studioTemplates": len(studio_templates),
    "postGroupId": post_group_id,
    "listed": any(p["id"] == post_group_id for p in posts),
    "getStatus": post["status"],
    "scheduledAt": rescheduled["scheduledAt"],
    "patch": patched,
    "delete": deleted,
    "afterDelete": after_delete,
}))
