// Package api is Herald's REST API: Ocoya's public API v1 (base path
// /api/_public/v1, header X-API-Key), wire-compatible, plus Herald's
// documented extensions. The route table in NewHandler is the single source
// of the routes and of the OpenAPI document served at openapi.json.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/app"
)

// BasePath is where the API lives.
const BasePath = "/api/_public/v1"

// Config configures the API.
type Config struct {
	// RateLimit is the number of requests per key per RateWindow.
	RateLimit  int
	RateWindow time.Duration
	// Version is Herald's version, shown in the OpenAPI document.
	Version string
	// Ready reports whether the server can do its work (database reachable,
	// workers alive); /readyz answers 503 with a fixed message and logs
	// the error.
	Ready func(r *http.Request) error
}

// Handler serves the API.
type Handler struct {
	app     *app.App
	log     *slog.Logger
	cfg     Config
	limiter *rateLimiter
	routes  []route
	mux     *http.ServeMux
}

// handlerFunc is a handler that returns its error to be written once.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// NewHandler returns the API's handler, mounted at BasePath, with /healthz
// and /readyz at the root.
func NewHandler(a *app.App, cfg Config, log *slog.Logger, now func() time.Time) *Handler {
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 60
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Minute
	}
	h := &Handler{app: a, log: log, cfg: cfg, limiter: newRateLimiter(cfg.RateLimit, cfg.RateWindow, now), mux: http.NewServeMux()}

	ws := []param{workspaceParam}
	wsOpt := []param{workspaceOptParam}
	h.routes = []route{
		{method: "GET", path: "/me", tag: "Account", summary: "The API key's user", resp: meResponse{}, h: h.getMe},
		{method: "POST", path: "/me/password", tag: "Account", summary: "Change the user's web password (Herald extension)",
			desc: "Needs the current password; the new one has at least 12 characters. Every web session of the user ends; API keys keep working. " +
				"Wrong current passwords are throttled like sign-ins: 429 with Retry-After.",
			body: passwordRequest{}, resp: emptyResponse{}, h: h.changePassword},
		{method: "GET", path: "/workspaces", tag: "Account", summary: "The user's workspaces", resp: []workspaceResponse{}, h: h.listWorkspaces},
		{method: "POST", path: "/workspaces", tag: "Account", summary: "Create a workspace (Herald extension)", body: workspaceRequest{}, resp: workspaceResponse{}, status: 201, h: h.createWorkspace},
		{method: "GET", path: "/workspaces/{workspaceId}/members", tag: "Account", summary: "A workspace's members (Herald extension)", resp: []memberResponse{}, h: h.listMembers},
		{method: "POST", path: "/workspaces/{workspaceId}/members", tag: "Account", summary: "Invite someone to a workspace (Herald extension)",
			desc: "Creates an invitation with a one-time accept link that works for " + app.InvitationTTL.String() + "; nobody is added and no account is created until the invitee accepts, " +
				"choosing their own password or signing in to the account of that e-mail. The answer is the same whether Herald knows the e-mail or not. " +
				"Where SMTP is configured the link is e-mailed to the invitee; otherwise the answer's acceptUrl is the link to pass on. Inviting an e-mail again replaces its pending invitation. Owners and admins only.",
			body: inviteRequest{}, resp: invitationResponse{}, status: 201, h: h.inviteMember},
		{method: "GET", path: "/workspaces/{workspaceId}/invitations", tag: "Account", summary: "A workspace's pending invitations (Herald extension)",
			desc: "Owners and admins only. Accept links are not shown again.", resp: []invitationResponse{}, h: h.listInvitations},
		{method: "DELETE", path: "/workspaces/{workspaceId}/invitations/{invitationId}", tag: "Account", summary: "Revoke a pending invitation (Herald extension)",
			desc: "Its accept link stops working. Owners and admins only.", resp: emptyResponse{}, h: h.revokeInvitation},
		{method: "GET", path: "/api-keys", tag: "Account", summary: "The user's API keys (Herald extension)", resp: []apiKeyResponse{}, h: h.listAPIKeys},
		{method: "POST", path: "/api-keys", tag: "Account", summary: "Create an API key (Herald extension)", desc: "The answer holds the secret key, once. Sent with an Idempotency-Key, it is replayed only to the API key that asked, and not once the new key is revoked (409).", body: apiKeyRequest{}, resp: apiKeyResponse{}, status: 201, h: h.createAPIKey},
		{method: "DELETE", path: "/api-keys/{id}", tag: "Account", summary: "Revoke an API key (Herald extension)", resp: emptyResponse{}, h: h.revokeAPIKey},

		{method: "GET", path: "/social-profiles", tag: "Social profiles", summary: "The workspace's connected social profiles", query: ws, resp: []socialProfileResponse{}, h: h.listSocialProfiles},
		{method: "POST", path: "/social-profiles", tag: "Social profiles", summary: "Connect a social profile with credentials (Herald extension)",
			desc:  "The credentials are checked against the network before the profile is saved; a wrong one is a 400 with the network's reason. They are encrypted at rest and never returned. Connecting the same account again updates its credentials.",
			query: ws, body: connectProfileRequest{}, resp: socialProfileResponse{}, status: 201, h: h.connectProfile},
		{method: "DELETE", path: "/social-profiles/{id}", tag: "Social profiles", summary: "Disconnect a social profile (Herald extension)",
			desc: "Refused (409) while scheduled posts target the profile.", query: ws, resp: emptyResponse{}, h: h.deleteProfile},
		{method: "GET", path: "/social-profiles/connection-url", tag: "Social profiles", summary: "Where to connect a network",
			query: []param{workspaceParam, {name: "provider", required: true, desc: connectionURLDoc(a.Networks())}},
			resp:  app.ConnectionInfo{}, h: h.getConnectionURL},
		{method: "POST", path: "/social-profiles/connection-url", tag: "Social profiles", summary: "Where to connect a network", query: ws, body: connectionURLRequest{}, resp: connectionURLResponse{}, status: 200, h: h.postConnectionURL},

		{method: "GET", path: "/brand-kits", tag: "Brand kits", summary: "The workspace's brand kits", query: ws, resp: []brandKitResponse{}, h: h.listBrandKits},
		{method: "POST", path: "/brand-kits", tag: "Brand kits", summary: "Create a brand kit (Herald extension)", query: ws, body: brandKitRequest{}, resp: brandKitResponse{}, status: 201, h: h.createBrandKit},
		{method: "GET", path: "/brand-kits/{id}", tag: "Brand kits", summary: "One brand kit (Herald extension)", query: ws, resp: brandKitResponse{}, h: h.getBrandKit},
		{method: "PATCH", path: "/brand-kits/{id}", tag: "Brand kits", summary: "Change a brand kit (Herald extension)", query: ws, body: brandKitPatch{}, resp: brandKitResponse{}, h: h.updateBrandKit},
		{method: "DELETE", path: "/brand-kits/{id}", tag: "Brand kits", summary: "Delete a brand kit (Herald extension)", query: ws, resp: emptyResponse{}, h: h.deleteBrandKit},

		{method: "GET", path: "/hashtag-libraries", tag: "Hashtag libraries", summary: "The workspace's hashtag libraries", query: ws, resp: []hashtagLibraryResponse{}, h: h.listHashtagLibraries},
		{method: "POST", path: "/hashtag-libraries", tag: "Hashtag libraries", summary: "Create a hashtag library (Herald extension)", query: ws, body: hashtagLibraryRequest{}, resp: hashtagLibraryResponse{}, status: 201, h: h.createHashtagLibrary},
		{method: "GET", path: "/hashtag-libraries/{id}", tag: "Hashtag libraries", summary: "One hashtag library (Herald extension)", query: ws, resp: hashtagLibraryResponse{}, h: h.getHashtagLibrary},
		{method: "PATCH", path: "/hashtag-libraries/{id}", tag: "Hashtag libraries", summary: "Change a hashtag library (Herald extension)", query: ws, body: hashtagLibraryPatch{}, resp: hashtagLibraryResponse{}, h: h.updateHashtagLibrary},
		{method: "DELETE", path: "/hashtag-libraries/{id}", tag: "Hashtag libraries", summary: "Delete a hashtag library (Herald extension)", query: ws, resp: emptyResponse{}, h: h.deleteHashtagLibrary},

		{method: "GET", path: "/studio-templates", tag: "Studio templates", summary: "The workspace's studio templates", query: ws, resp: []studioTemplateResponse{}, h: h.listStudioTemplates},
		{method: "POST", path: "/studio-templates", tag: "Studio templates", summary: "Create a studio template (Herald extension)", query: ws, body: studioTemplateRequest{}, resp: studioTemplateResponse{}, status: 201, h: h.createStudioTemplate},
		{method: "GET", path: "/studio-templates/{id}", tag: "Studio templates", summary: "One studio template (Herald extension)", query: ws, resp: studioTemplateResponse{}, h: h.getStudioTemplate},
		{method: "PATCH", path: "/studio-templates/{id}", tag: "Studio templates", summary: "Change a studio template (Herald extension)", query: ws, body: studioTemplatePatch{}, resp: studioTemplateResponse{}, h: h.updateStudioTemplate},
		{method: "DELETE", path: "/studio-templates/{id}", tag: "Studio templates", summary: "Delete a studio template (Herald extension)", query: ws, resp: emptyResponse{}, h: h.deleteStudioTemplate},

		{method: "POST", path: "/post", tag: "Posts", summary: "Create a post", desc: "With scheduledAt the post is SCHEDULED, otherwise a DRAFT.", query: ws, body: createPostRequest{}, resp: createPostResponse{}, status: 201, h: h.createPost},
		{method: "POST", path: "/post/validate", tag: "Posts", summary: "Check a post without creating it (Herald extension)",
			desc: "Runs every check of POST /post and creates no post: 200 with the checks' result when POST /post would accept the body, or the 4xx that POST /post would give. " +
				"The mediaUrls are downloaded and checked as POST /post does; the files are kept in the workspace's library, so that POST /post with the same mediaUrls reuses them, and are collected when no post uses them.",
			query: ws, body: createPostRequest{}, resp: validatePostResponse{}, h: h.validatePost},
		{method: "GET", path: "/post", tag: "Posts", summary: "List post groups, newest first",
			query: []param{workspaceParam, {name: "statuses", array: true, enum: postStatusNames(), desc: "Filter by status; repeat the parameter or join with commas; case-insensitive."},
				{name: "statuses[]", array: true, enum: postStatusNames(), desc: "Herald extension: an alias of statuses, as axios (qs) sends arrays."},
				{name: "status", array: true, enum: postStatusNames(), desc: "Herald extension: an alias of statuses."},
				{name: "late", desc: "Herald extension: true keeps only scheduled posts past their time (with the reason on each target)."},
				{name: "page", typ: "integer", desc: "0-based page number (default 0)."}, {name: "perPage", typ: "integer", desc: "Page size (default 10, at most 50; larger values are clamped)."}},
			resp: []postGroupResponse{}, h: h.listPosts},
		{method: "GET", path: "/post/{postId}", tag: "Posts", summary: "One post group", query: wsOpt, resp: postGroupResponse{}, h: h.getPost},
		{method: "PATCH", path: "/post/{postId}", tag: "Posts", summary: "Reschedule a post (and, as Herald extensions, change its caption, media and profiles)",
			desc: "A post that is being published or was published cannot be changed (409).", query: wsOpt, body: patchPostRequest{}, resp: emptyResponse{}, h: h.updatePost},
		{method: "DELETE", path: "/post/{postId}", tag: "Posts", summary: "Delete a post and cancel its pending publication",
			desc:  "With remote=true (Herald extension) what was published is first deleted from the networks.",
			query: []param{workspaceOptParam, {name: "remote", desc: "true: also delete the published posts from the networks."}}, resp: emptyResponse{}, errors: []int{503}, h: h.deletePost},
		{method: "POST", path: "/post/{postId}/publish", tag: "Posts", summary: "Publish a draft or scheduled post now (Herald extension)", query: wsOpt, resp: emptyResponse{}, h: h.publishPost},
		{method: "POST", path: "/post/{postId}/retry", tag: "Posts", summary: "Publish again the targets that failed (Herald extension)",
			desc:  "Only failed and needs_attention targets are retried. A needs_attention target may already be on the network: the request must say {\"confirm\": true}.",
			query: wsOpt, body: retryRequest{}, resp: emptyResponse{}, h: h.retryPost},
		{method: "POST", path: "/media", tag: "Media", summary: "Upload a file to the workspace's library (Herald extension)",
			desc: "multipart/form-data with the file in the field file and, optionally, altText. The file is checked as mediaUrls are (type from its bytes, size caps). " +
				"The answer's url is public and usable in mediaUrls without downloading. Files no post uses are deleted after a time the operator sets. Idempotency-Key is not supported here.",
			query: ws, form: mediaUploadForm{}, resp: mediaResponse{}, status: 201, errors: []int{413}, h: h.uploadMedia},
		{method: "GET", path: "/media", tag: "Media", summary: "The workspace's media library, newest first (Herald extension)",
			query: []param{workspaceParam, {name: "page", typ: "integer", desc: "0-based page number (default 0)."}, {name: "perPage", typ: "integer", desc: "Page size (default 10, at most 50; larger values are clamped)."}},
			resp:  []mediaResponse{}, h: h.listMedia},
		{method: "GET", path: "/media/{id}", tag: "Media", summary: "One file of the library (Herald extension)", query: []param{mediaWorkspaceOptParam}, resp: mediaResponse{}, h: h.getMedia},
		{method: "PATCH", path: "/media/{id}", tag: "Media", summary: "Change a file's alt text (Herald extension)", query: []param{mediaWorkspaceOptParam}, body: mediaPatchRequest{}, resp: mediaResponse{}, h: h.updateMedia},
		{method: "DELETE", path: "/media/{id}", tag: "Media", summary: "Delete a file of the library (Herald extension)",
			desc: "Refused (409) while a post that is not yet published (draft, scheduled, failed) uses the file.", query: []param{mediaWorkspaceOptParam}, resp: emptyResponse{}, h: h.deleteMedia},
		{method: "POST", path: "/post/ai", tag: "AI", summary: "Draft a post with AI", query: ws, body: aiPostRequest{}, resp: createPostResponse{}, status: 201, errors: []int{501}, h: h.createAIPost},
		{method: "POST", path: "/campaigns", tag: "AI", summary: "Generate a campaign of posts with AI", query: ws, body: campaignRequest{}, resp: emptyResponse{}, status: 202, errors: []int{501}, h: h.createCampaign},

		{method: "GET", path: "/openapi.json", tag: "Meta", summary: "This API's OpenAPI 3.1 document", public: true, raw: true, h: h.getOpenAPI},
		{method: "GET", path: "/docs", tag: "Meta", summary: "This API's reference, as a web page", public: true, raw: true, h: h.getDocs},
	}

	for _, rt := range h.routes {
		h.mux.Handle(rt.method+" "+BasePath+rt.path, h.wrap(rt))
	}
	// Unknown paths and methods are answered as JSON, counted against the
	// rate limit like everything else.
	h.mux.Handle("/", h.wrap(route{limitOnly: true, h: h.notFound}))
	h.mux.HandleFunc("/healthz", h.healthz)
	h.mux.HandleFunc("/readyz", h.readyz)
	// Public media URLs (app.MediaPath): no API key, for the networks.
	h.mux.HandleFunc("GET "+app.MediaPath+"{file}", h.serveMediaFile)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// notFound answers requests no route matched: 405 with Allow when the path
// exists under other methods, else 404, always as JSON.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, rt := range h.routes {
		if matchPath(BasePath+rt.path, r.URL.Path) {
			allow = append(allow, rt.method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allow, " or ") + "."})
		return nil
	}
	writeJSON(w, http.StatusNotFound, errorBody{Message: "No such endpoint: " + r.Method + " " + r.URL.Path + ". See " + BasePath + "/docs."})
	return nil
}

// matchPath matches a path against a pattern with {name} segments.
func matchPath(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.TrimPrefix(path, "/"), "/") // a trailing slash is another path
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: r.Method + " is not allowed on " + r.URL.Path + "; use GET."})
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok"})
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: r.Method + " is not allowed on " + r.URL.Path + "; use GET."})
		return
	}
	// The answer is public: it says which part is down, never why; the
	// cause goes to the log.
	if err := h.app.Ping(r.Context()); err != nil {
		h.log.WarnContext(r.Context(), "not ready: the database is unavailable", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Message: "not ready: database unavailable"})
		return
	}
	if h.cfg.Ready != nil {
		if err := h.cfg.Ready(r); err != nil {
			h.log.WarnContext(r.Context(), "not ready: no publishing worker alive", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, errorBody{Message: "not ready: no publishing worker alive"})
			return
		}
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ready"})
}
