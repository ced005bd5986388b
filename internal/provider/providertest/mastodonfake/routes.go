package mastodonfake

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(route string, h http.HandlerFunc) {
		mux.Handle(route, s.faults.Wrap(route, h))
	}
	handle("POST /api/v1/apps", s.createApp)
	handle("GET /oauth/authorize", s.authorize)
	handle("POST /oauth/token", s.issueToken)
	handle("POST /oauth/revoke", s.revoke)
	handle("GET /api/v1/instance", s.instanceV1)
	handle("GET /api/v2/instance", s.instanceV2)
	handle("GET /api/v1/accounts/verify_credentials", s.authed(s.verifyCredentials))
	handle("GET /api/v1/accounts/{id}/statuses", s.authed(s.accountStatuses))
	handle("POST /api/v2/media", s.authed(s.uploadMedia))
	handle("POST /api/v1/media", s.authed(s.uploadMedia))
	handle("GET /api/v1/media/{id}", s.authed(s.showMedia))
	handle("POST /api/v1/statuses", s.authed(s.createStatus))
	handle("GET /api/v1/statuses/{id}", s.authed(s.showStatus))
	handle("DELETE /api/v1/statuses/{id}", s.authed(s.deleteStatus))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Record not found")
	})
	return mux
}

type ctxKey struct{}

// authed checks the bearer token, applies the rate limit and passes the
// account on.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || tok == "" {
			writeError(w, http.StatusUnauthorized, "This method requires an authenticated user")
			return
		}
		s.mu.Lock()
		t := s.tokens[tok]
		var acct *account
		if t != nil && !t.revoked {
			acct = s.accounts[t.accountID]
		}
		var limited bool
		if acct != nil {
			limited = s.rateLimit(w, acct.ID)
		}
		s.mu.Unlock()
		if acct == nil {
			writeError(w, http.StatusUnauthorized, "The access token is invalid")
			return
		}
		if limited {
			writeError(w, http.StatusTooManyRequests, "Too many requests")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, tok)), acct)
	}
}

// rateLimit sets the X-RateLimit-* headers and reports whether the request
// is over the limit. Mastodon counts 300 requests per 5 minutes per account
// and sends the reset as an ISO 8601 timestamp. Callers hold s.mu.
func (s *Server) rateLimit(w http.ResponseWriter, accountID string) bool {
	const period = 5 * time.Minute
	now := s.now()
	win := s.rate[accountID]
	if win == nil || now.Sub(win.start) >= period {
		win = &window{start: now.Truncate(period)}
		s.rate[accountID] = win
	}
	win.count++
	limit := s.opts.RateLimit
	shown := limit
	if shown <= 0 {
		shown = 300
	}
	remaining := max(shown-win.count, 0)
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(shown))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-RateLimit-Reset", win.start.Add(period).Format("2006-01-02T15:04:05.000Z"))
	if limit > 0 && win.count > limit {
		w.Header().Set("Retry-After", strconv.Itoa(int(win.start.Add(period).Sub(now).Seconds())+1))
		return true
	}
	return false
}

// params reads a request's parameters from JSON, a URL-encoded form or a
// multipart form, as Rails does. Repeated keys and JSON arrays become
// multiple values; "media_ids[]" and "media_ids" are the same key.
func params(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	out := url.Values{}
	switch ct {
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		for k, v := range m {
			switch v := v.(type) {
			case []any:
				for _, e := range v {
					out.Add(k, fmt.Sprint(e))
				}
			case nil:
			default:
				out.Set(k, fmt.Sprint(v))
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, err
		}
		out = r.MultipartForm.Value
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		out = r.PostForm
	}
	for k, v := range out {
		if base, ok := strings.CutSuffix(k, "[]"); ok {
			out[base] = append(out[base], v...)
			delete(out, k)
		}
	}
	return out, nil
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) {
	p, err := params(r)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: invalid parameters")
		return
	}
	name := p.Get("client_name")
	redirects := p["redirect_uris"]
	if name == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Application name can't be blank")
		return
	}
	if len(redirects) == 0 || redirects[0] == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Redirect URI can't be blank")
		return
	}
	scopes := p.Get("scopes")
	if scopes == "" {
		scopes = "read"
	}
	a := &app{Name: name, Website: p.Get("website"), RedirectURI: strings.Join(redirects, "\n"), Scopes: scopes, ClientID: randHex(16), ClientSecret: randHex(16)}
	s.mu.Lock()
	s.apps[a.ClientID] = a
	id := s.nextID()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "name": a.Name, "website": nilIfEmpty(a.Website), "scopes": strings.Fields(scopes),
		"redirect_uri": a.RedirectURI, "redirect_uris": redirects,
		"client_id": a.ClientID, "client_secret": a.ClientSecret, "client_secret_expires_at": 0,
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// authorize stands in for the sign-in and approval pages: the signed-in
// account approves at once and the browser is sent back with a code.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	a := s.apps[q.Get("client_id")]
	signedIn := s.signedIn
	s.mu.Unlock()
	if a == nil {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
		return
	}
	redirect := q.Get("redirect_uri")
	if !contains(strings.Split(a.RedirectURI, "\n"), redirect) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_redirect_uri", "The redirect uri included is not valid.")
		return
	}
	if q.Get("response_type") != "code" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_response_type", "The authorization server does not support this response type.")
		return
	}
	if q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The code challenge method must be S256.")
		return
	}
	if signedIn == "" {
		http.Error(w, "no signed-in user", http.StatusForbidden)
		return
	}
	code := randHex(16)
	scopes := q.Get("scope")
	if scopes == "" {
		scopes = "read"
	}
	s.mu.Lock()
	s.codes[code] = &authCode{clientID: a.ClientID, redirectURI: redirect, accountID: signedIn, challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), scopes: scopes}
	s.mu.Unlock()
	u, _ := url.Parse(redirect)
	v := u.Query()
	v.Set("code", code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	p, err := params(r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter.")
		return
	}
	clientID, secret := p.Get("client_id"), p.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		clientID, secret = u, pw
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[clientID]
	if a == nil || a.ClientSecret != secret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
		return
	}
	if p.Get("grant_type") != "authorization_code" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	invalid := func() {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
	}
	c := s.codes[p.Get("code")]
	if c == nil || c.used || c.clientID != clientID || c.redirectURI != p.Get("redirect_uri") {
		invalid()
		return
	}
	if c.challenge != "" {
		sum := sha256.Sum256([]byte(p.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			invalid()
			return
		}
	}
	c.used = true
	tok := randHex(20)
	s.tokens[tok] = &token{accountID: c.accountID, scopes: c.scopes}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "scope": c.scopes, "created_at": s.now().Unix()})
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	p, _ := params(r)
	s.mu.Lock()
	if t := s.tokens[p.Get("token")]; t != nil {
		t.revoked = true
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) host() string {
	u, _ := url.Parse(s.URL)
	return u.Host
}

func (s *Server) statusesConfig() map[string]any {
	return map[string]any{
		"max_characters":              s.opts.MaxCharacters,
		"max_media_attachments":       s.opts.MaxMediaAttachments,
		"characters_reserved_per_url": s.opts.CharactersReservedPerURL,
	}
}

func (s *Server) mediaConfig() map[string]any {
	return map[string]any{
		"supported_mime_types":   s.opts.SupportedMIMETypes,
		"image_size_limit":       s.opts.ImageSizeLimit,
		"image_matrix_limit":     33177600,
		"video_size_limit":       s.opts.VideoSizeLimit,
		"video_frame_rate_limit": 120,
		"video_matrix_limit":     8294400,
	}
}

func (s *Server) instanceV2(w http.ResponseWriter, r *http.Request) {
	if s.opts.NoV2Instance {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"domain": s.host(), "title": "Fake Mastodon", "version": "4.3.0", "source_url": "https://github.com/mastodon/mastodon",
		"description": "A fake instance for tests.", "languages": []string{"en"},
		"configuration": map[string]any{
			"urls":              map[string]any{"streaming": "ws://" + s.host()},
			"accounts":          map[string]any{"max_featured_tags": 10},
			"statuses":          s.statusesConfig(),
			"media_attachments": s.mediaConfig(),
			"polls":             map[string]any{"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300, "max_expiration": 2629746},
			"translation":       map[string]any{"enabled": false},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil},
		"rules":         []any{},
	})
}

func (s *Server) instanceV1(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": s.host(), "title": "Fake Mastodon", "version": "3.5.3", "short_description": "", "description": "",
		"languages": []string{"en"}, "registrations": false,
		"configuration": map[string]any{
			"statuses":          s.statusesConfig(),
			"media_attachments": s.mediaConfig(),
		},
	})
}

func (s *Server) accountJSON(a *account, credential bool) map[string]any {
	u := s.URL + "/@" + a.Username
	m := map[string]any{
		"id": a.ID, "username": a.Username, "acct": a.Username, "display_name": a.DisplayName,
		"locked": false, "bot": false, "created_at": a.CreatedAt.Format(time.RFC3339Nano), "note": "",
		"url": u, "avatar": s.URL + "/avatars/original/missing.png", "avatar_static": s.URL + "/avatars/original/missing.png",
		"header": s.URL + "/headers/original/missing.png", "followers_count": 0, "following_count": 0, "statuses_count": 0,
		"emojis": []any{}, "fields": []any{},
	}
	if credential {
		m["source"] = map[string]any{"privacy": "public", "sensitive": false, "language": "", "note": "", "fields": []any{}}
	}
	return m
}

func (s *Server) verifyCredentials(w http.ResponseWriter, r *http.Request, a *account) {
	writeJSON(w, http.StatusOK, s.accountJSON(a, true))
}

// mediaJSON renders a MediaAttachment; url is null while processing.
func (s *Server) mediaJSON(m *media) map[string]any {
	var u any
	if m.pollsLeft <= 0 {
		u = s.URL + "/system/media_attachments/files/" + m.ID + "/original/file"
	}
	return map[string]any{
		"id": m.ID, "type": m.Type, "url": u, "preview_url": s.URL + "/system/media_attachments/files/" + m.ID + "/small/file",
		"remote_url": nil, "text_url": nil, "meta": map[string]any{}, "description": nilIfEmpty(m.Description), "blurhash": nil,
	}
}

func mediaType(mimeType string) string {
	switch {
	case strings.HasPrefix(mimeType, "image/gif"):
		return "gifv"
	case strings.HasPrefix(mimeType, "image/"):
		return "image"
	case strings.HasPrefix(mimeType, "video/"):
		return "video"
	case strings.HasPrefix(mimeType, "audio/"):
		return "audio"
	}
	return "unknown"
}

func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request, a *account) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File content type is invalid, File is invalid")
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File content type is invalid, File is invalid")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File is invalid")
		return
	}
	ct := fh.Header.Get("Content-Type")
	if ct == "" || ct == "application/octet-stream" {
		ct = http.DetectContentType(data)
	}
	ct, _, _ = mime.ParseMediaType(ct)
	if !contains(s.opts.SupportedMIMETypes, ct) {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File content type is invalid, File is invalid")
		return
	}
	typ := mediaType(ct)
	limit := s.opts.ImageSizeLimit
	if typ == "video" || typ == "audio" {
		limit = s.opts.VideoSizeLimit
	}
	if int64(len(data)) > limit {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: File file size must be less than %d Bytes", limit))
		return
	}
	desc := r.FormValue("description")
	if len([]rune(desc)) > 1500 {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Description is too long (maximum is 1500 characters)")
		return
	}
	polls := s.opts.MediaProcessingPolls
	if polls == 0 && typ != "image" {
		polls = 1
	}
	s.mu.Lock()
	m := &media{ID: s.nextID(), AccountID: a.ID, Type: typ, MIME: ct, Description: desc, Data: data, pollsLeft: polls}
	s.media[m.ID] = m
	body := s.mediaJSON(m)
	s.mu.Unlock()
	status := http.StatusOK
	if polls > 0 && r.URL.Path == "/api/v2/media" {
		status = http.StatusAccepted
	}
	writeJSON(w, status, body)
}

func (s *Server) showMedia(w http.ResponseWriter, r *http.Request, a *account) {
	s.mu.Lock()
	m := s.media[r.PathValue("id")]
	if m == nil || m.AccountID != a.ID {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	status := http.StatusOK
	if m.pollsLeft > 0 {
		status = http.StatusPartialContent
		m.pollsLeft--
	}
	body := s.mediaJSON(m)
	if status == http.StatusPartialContent {
		body["url"] = nil
	}
	s.mu.Unlock()
	writeJSON(w, status, body)
}

var visibilities = []string{"public", "unlisted", "private", "direct"}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, a *account) {
	p, err := params(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Error occurred while parsing request parameters")
		return
	}
	text := p.Get("status")
	mediaIDs := p["media_ids"]
	visibility := p.Get("visibility")
	if visibility == "" {
		visibility = "public"
	}
	key := r.Header.Get("Idempotency-Key")

	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" && !s.opts.IgnoreIdempotencyKey {
		// Mastodon keeps keys for an hour and answers the earlier status.
		if e, ok := s.idempotency[a.ID+"\x00"+key]; ok && s.now().Sub(e.at) < time.Hour {
			if st := s.byID[e.statusID]; st != nil {
				writeJSON(w, http.StatusOK, s.statusJSON(st, a))
				return
			}
		}
	}
	if strings.TrimSpace(text) == "" && len(mediaIDs) == 0 {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
		return
	}
	if !contains(visibilities, visibility) {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
		return
	}
	if n := provider.CountMastodon(s.opts.CharactersReservedPerURL)(p.Get("spoiler_text") + text); n > s.opts.MaxCharacters {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: Text character limit of %d exceeded", s.opts.MaxCharacters))
		return
	}
	if len(mediaIDs) > s.opts.MaxMediaAttachments {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Cannot attach more than %d files", s.opts.MaxMediaAttachments))
		return
	}
	var descs []string
	videos := 0
	for _, id := range mediaIDs {
		m := s.media[id]
		if m == nil || m.AccountID != a.ID || m.attached {
			writeError(w, http.StatusUnprocessableEntity, "Validation failed: Media attachments are invalid")
			return
		}
		if m.pollsLeft > 0 {
			writeError(w, http.StatusUnprocessableEntity, "Cannot attach files that have not finished processing. Try again in a moment!")
			return
		}
		if m.Type != "image" {
			videos++
		}
		descs = append(descs, m.Description)
	}
	if videos > 0 && len(mediaIDs) > 1 {
		writeError(w, http.StatusUnprocessableEntity, "Cannot attach a video to a post that already contains images")
		return
	}
	for _, id := range mediaIDs {
		s.media[id].attached = true
	}
	st := &Status{
		ID: s.nextID(), AccountID: a.ID, Text: text, Content: renderContent(text, s.URL),
		SpoilerText: p.Get("spoiler_text"), Sensitive: p.Get("sensitive") == "true" || p.Get("sensitive") == "1",
		Visibility: visibility, Language: p.Get("language"), MediaIDs: mediaIDs, MediaDescriptions: descs,
		IdempotencyKey: key, CreatedAt: s.now(),
	}
	s.statuses = append(s.statuses, st)
	s.byID[st.ID] = st
	s.created[text]++
	if key != "" {
		s.idempotency[a.ID+"\x00"+key] = idemEntry{statusID: st.ID, at: s.now()}
	}
	writeJSON(w, http.StatusOK, s.statusJSON(st, a))
}

func (s *Server) statusJSON(st *Status, viewer *account) map[string]any {
	a := s.accounts[st.AccountID]
	attachments := []any{}
	for _, id := range st.MediaIDs {
		if m := s.media[id]; m != nil {
			attachments = append(attachments, s.mediaJSON(m))
		}
	}
	lang := any(nil)
	if st.Language != "" {
		lang = st.Language
	}
	u := s.URL + "/@" + a.Username + "/" + st.ID
	m := map[string]any{
		"id": st.ID, "created_at": st.CreatedAt.Format("2006-01-02T15:04:05.000Z"), "in_reply_to_id": nil, "in_reply_to_account_id": nil,
		"sensitive": st.Sensitive, "spoiler_text": st.SpoilerText, "visibility": st.Visibility, "language": lang,
		"uri": s.URL + "/users/" + a.Username + "/statuses/" + st.ID, "url": u,
		"replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": nil,
		"content": st.Content, "reblog": nil, "application": map[string]any{"name": "Herald", "website": nil},
		"account": s.accountJSON(a, false), "media_attachments": attachments,
		"mentions": []any{}, "tags": []any{}, "emojis": []any{}, "card": nil, "poll": nil,
	}
	if s.opts.IncludeSourceText && viewer != nil && viewer.ID == st.AccountID {
		m["text"] = st.Text
	}
	return m
}

func (s *Server) showStatus(w http.ResponseWriter, r *http.Request, a *account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || st.Deleted {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, s.statusJSON(st, a))
}

func (s *Server) deleteStatus(w http.ResponseWriter, r *http.Request, a *account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || st.Deleted {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	if st.AccountID != a.ID {
		writeError(w, http.StatusForbidden, "This action is not allowed")
		return
	}
	st.Deleted = true
	body := s.statusJSON(st, a)
	body["text"] = st.Text // Mastodon returns the source for "delete and redraft"
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) accountStatuses(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	limit := 20
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 40)
	}
	maxID, _ := strconv.ParseUint(q.Get("max_id"), 10, 64)
	sinceID, _ := strconv.ParseUint(q.Get("since_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := s.accounts[r.PathValue("id")]
	if owner == nil {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	var list []*Status
	for _, st := range s.statuses {
		id, _ := strconv.ParseUint(st.ID, 10, 64)
		if st.Deleted || st.AccountID != owner.ID || (maxID != 0 && id >= maxID) || id <= sinceID {
			continue
		}
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool {
		a, _ := strconv.ParseUint(list[i].ID, 10, 64)
		b, _ := strconv.ParseUint(list[j].ID, 10, 64)
		return a > b
	})
	if len(list) > limit {
		list = list[:limit]
	}
	out := make([]any, 0, len(list))
	for _, st := range list {
		out = append(out, s.statusJSON(st, a))
	}
	if len(list) > 0 {
		base := s.URL + "/api/v1/accounts/" + owner.ID + "/statuses?limit=" + strconv.Itoa(limit)
		w.Header().Set("Link", fmt.Sprintf(`<%s&max_id=%s>; rel="next", <%s&min_id=%s>; rel="prev"`, base, list[len(list)-1].ID, base, list[0].ID))
	}
	writeJSON(w, http.StatusOK, out)
}
