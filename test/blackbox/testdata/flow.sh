#!/usr/bin/env bash
# Ocoya's "Typical Publishing Flow" with curl, written as docs.ocoya.com
# writes its cURL examples. Only the base URL differs from Ocoya's; the
# black-box tests run it against Herald and check the summary it prints.
#
# Environment: OCOYA_API_KEY; OCOYA_BASE_URL (default Ocoya's);
# SCHEDULED_AT and RESCHEDULED_AT (ISO-8601 times in the future);
# MEDIA_URL (an image Herald can download; Ocoya's examples use
# https://yourmediaurl.com).
set -euo pipefail
BASE_URL="${OCOYA_BASE_URL:-https://app.ocoya.com/api/_public/v1}"

# api METHOD PATH [BODY]: prints the answer's body; on an HTTP error it
# prints the error's body to stderr and fails.
api() {
	local out
	if [ $# -ge 3 ]; then
		out=$(curl -sS --fail-with-body -X "$1" "$BASE_URL$2" \
			-H "X-API-Key: $OCOYA_API_KEY" \
			-H "Content-Type: application/json" \
			-d "$3") || { echo "$1 $2: $out" >&2; return 1; }
	else
		out=$(curl -sS --fail-with-body -X "$1" "$BASE_URL$2" \
			-H "X-API-Key: $OCOYA_API_KEY") || { echo "$1 $2: $out" >&2; return 1; }
	fi
	printf '%s' "$out"
}

# field NAME: the first string value of NAME in the JSON on stdin.
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d '"' -f 4; }
# ids: every "id" of a JSON array on stdin, as a JSON array.
ids() { grep -o '"id":"[^"]*"' | cut -d '"' -f 4 | sed 's/.*/"&"/' | paste -sd, | sed 's/.*/[&]/'; }
count() { grep -o '"id":"[^"]*"' | wc -l | tr -d ' '; }

# 1. Send your first request.
ME=$(api GET /me)
EMAIL=$(echo "$ME" | field email)

# 2. List workspaces and choose one.
WORKSPACE_ID=$(api GET /workspaces | field id)

# 3. Connect social profiles: the URL a signed-in user opens.
CONNECT=$(api GET "/social-profiles/connection-url?workspaceId=$WORKSPACE_ID&provider=mastodon")
AUTH_URL=$(echo "$CONNECT" | field authUrl)
AUTH_PROVIDER=$(echo "$CONNECT" | field authProvider)
CONNECT_URL=$(api POST "/social-profiles/connection-url?workspaceId=$WORKSPACE_ID" '{"provider": "mastodon"}' | field url)

# 4. List social profiles.
PROFILE_IDS=$(api GET "/social-profiles?workspaceId=$WORKSPACE_ID" | ids)

# 5. Resolve optional context.
BRAND_KITS=$(api GET "/brand-kits?workspaceId=$WORKSPACE_ID" | count)
HASHTAG_LIBRARIES=$(api GET "/hashtag-libraries?workspaceId=$WORKSPACE_ID" | count)
STUDIO_TEMPLATES=$(api GET "/studio-templates?workspaceId=$WORKSPACE_ID" | count)

# 6. Create a scheduled post.
POST_GROUP_ID=$(api POST "/post?workspaceId=$WORKSPACE_ID" "{
  \"caption\": \"Happy new year everyone!\",
  \"mediaUrls\": [\"$MEDIA_URL\"],
  \"socialProfileIds\": $PROFILE_IDS,
  \"scheduledAt\": \"$SCHEDULED_AT\"
}" | field postGroupId)

# 7. List scheduled posts, and get the new one.
LISTED=false
if api GET "/post?workspaceId=$WORKSPACE_ID&statuses=SCHEDULED&page=0&perPage=10" | grep -q "\"id\":\"$POST_GROUP_ID\""; then
	LISTED=true
fi
GET_STATUS=$(api GET "/post/$POST_GROUP_ID" | field status)

# 8. Reschedule it.
PATCHED=$(api PATCH "/post/$POST_GROUP_ID" "{\"scheduledAt\": \"$RESCHEDULED_AT\"}")
SCHEDULED=$(api GET "/post/$POST_GROUP_ID" | field scheduledAt)

# 9. Delete it; it is gone.
DELETED=$(api DELETE "/post/$POST_GROUP_ID")
AFTER_DELETE=$(curl -sS -o /dev/null -w '%{http_code}' -X GET "$BASE_URL/post/$POST_GROUP_ID" -H "X-API-Key: $OCOYA_API_KEY")

printf '{"me":"%s","workspaceId":"%s","authUrl":"%s","authProvider":"%s","connectUrl":"%s","profileIds":%s,"brandKits":%s,"hashtagLibraries":%s,"studioTemplates":%s,"postGroupId":"%s","listed":%s,"getStatus":"%s","scheduledAt":"%s","patch":%s,"delete":%s,"afterDelete":%s}\n' \
	"$EMAIL" "$WORKSPACE_ID" "$AUTH_URL" "$AUTH_PROVIDER" "$CONNECT_URL" "$PROFILE_IDS" "$BRAND_KITS" "$HASHTAG_LIBRARIES" "$STUDIO_TEMPLATES" \
	"$POST_GROUP_ID" "$LISTED" "$GET_STATUS" "$SCHEDULED" "$PATCHED" "$DELETED" "$AFTER_DELETE"
