// Ocoya's "Typical Publishing Flow" with Node.js's fetch, written as
// docs.ocoya.com writes its Node.js examples. Only the base URL differs from
// Ocoya's; the black-box tests run it against Herald and check the summary.
//
// Environment: OCOYA_API_KEY; OCOYA_BASE_URL (default Ocoya's);
// SCHEDULED_AT and RESCHEDULED_AT (ISO-8601 times in the future);
// MEDIA_URL (an image Herald can download; Ocoya's examples use
// https://yourmediaurl.com).
const BASE_URL = process.env.OCOYA_BASE_URL ?? 'https://app.ocoya.com/api/_public/v1'

async function api(method, path, body, { allowError = false } = {}) {
  const response = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: {
      'Accept': 'application/json',
      'Content-Type': 'application/json',
      'X-API-Key': process.env.OCOYA_API_KEY,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await response.json()
  if (!response.ok && !allowError) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`)
  }
  return { status: response.status, data }
}

// 1. Send your first request.
const { data: me } = await api('GET', '/me')

// 2. List workspaces and choose one.
const { data: workspaces } = await api('GET', '/workspaces')
const workspaceId = workspaces[0].id

// 3. Connect social profiles: the URL a signed-in user opens.
const { data: connect } = await api('GET', `/social-profiles/connection-url?workspaceId=${workspaceId}&provider=mastodon`)
const { data: connectPost } = await api('POST', `/social-profiles/connection-url?workspaceId=${workspaceId}`, { provider: 'mastodon' })

// 4. List social profiles.
const { data: profiles } = await api('GET', `/social-profiles?workspaceId=${workspaceId}`)

// 5. Resolve optional context.
const { data: brandKits } = await api('GET', `/brand-kits?workspaceId=${workspaceId}`)
const { data: hashtagLibraries } = await api('GET', `/hashtag-libraries?workspaceId=${workspaceId}`)
const { data: studioTemplates } = await api('GET', `/studio-templates?workspaceId=${workspaceId}`)

// 6. Create a scheduled post.
const { data: created } = await api('POST', `/post?workspaceId=${workspaceId}`, {
  caption: 'Happy new year everyone!',
  mediaUrls: [process.env.MEDIA_URL],
  socialProfileIds: profiles.map((p) => p.id),
  scheduledAt: process.env.SCHEDULED_AT,
})
const postGroupId = created.postGroupId

// 7. List scheduled posts, and get the new one.
const params = new URLSearchParams({ workspaceId, page: '0', perPage: '10' })
params.append('statuses', 'SCHEDULED')
const { data: posts } = await api('GET', `/post?${params}`)
const { data: post } = await api('GET', `/post/${postGroupId}`)

// 8. Reschedule it.
const { data: patched } = await api('PATCH', `/post/${postGroupId}`, { scheduledAt: process.env.RESCHEDULED_AT })
const { data: rescheduled } = await api('GET', `/post/${postGroupId}`)

// 9. Delete it; it is gone.
const { data: deleted } = await api('DELETE', `/post/${postGroupId}`)
const { status: afterDelete } = await api('GET', `/post/${postGroupId}`, undefined, { allowError: true })

console.log(JSON.stringify({
  me: me.email,
  workspaceId,
  authUrl: connect.authUrl,
  authProvider: connect.authProvider,
  connectUrl: connectPost.url,
  profileIds: profiles.map((p) => p.id),
  brandKits: brandKits.length,
  hashtagLibraries: hashtagLibraries.length,
  studioTemplates: studioTemplates.length,
  postGroupId,
  listed: posts.some((p) => p.id === postGroupId),
  getStatus: post.status,
  scheduledAt: rescheduled.scheduledAt,
  patch: patched,
  delete: deleted,
  afterDelete,
}))
