package testpeer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldhq/herald/internal/testpeer"
)

// peers holds the servers shared by this package's tests.
var peers testpeer.Peers

func TestMain(m *testing.M) { os.Exit(peers.Run(m)) }

// redirectURI is the OAuth app's callback. Nothing listens there: the
// helper captures the redirect instead of following it.
const redirectURI = "http://127.0.0.1:1/oauth/callback"

// TestGoToSocialOAuthAndPublish connects a new user as Herald will: it
// registers an app, signs in and allows it through the real pages,
// exchanges the code for a token, then uploads an image, posts a status
// with it and reads the status back.
func TestGoToSocialOAuthAndPublish(t *testing.T) {
	t.Parallel()
	gts := peers.GoToSocial(t)
	acct := testpeer.Account{Username: "alice", Email: "alice@example.org", Password: "Alice-" + randomText(t)}
	gts.CreateUser(t, acct.Username, acct.Email, acct.Password)

	app := registerApp(t, gts.URL(), "read write")
	state := randomText(t)
	code := gts.AuthorizeApp(t, app.ClientID, redirectURI, "read write", state, "", acct.Email, acct.Password)
	token, status := exchangeCode(t, gts.URL(), app, code, "")
	if status != http.StatusOK {
		t.Fatalf("token exchange: status %d, want 200", status)
	}
	api := mastodonClient{base: gts.URL(), token: token}

	var me struct {
		Username string `json:"username"`
		Acct     string `json:"acct"`
	}
	api.do(t, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "", http.StatusOK, &me)
	if me.Username != acct.Username {
		t.Errorf("verify_credentials username = %q, want %q", me.Username, acct.Username)
	}

	mediaID := api.uploadMedia(t, testPNG(t, 64, 48), "A red rectangle, 64 by 48")
	form := url.Values{
		"status":      {"Hello from Herald #herald https://example.org/post 🎉"},
		"media_ids[]": {mediaID},
		"visibility":  {"unlisted"},
		"language":    {"en"},
	}
	var posted mastodonStatus
	api.do(t, http.MethodPost, "/api/v1/statuses", form, "", http.StatusOK, &posted)
	if posted.ID == "" {
		t.Fatal("posted status has no id")
	}

	var got mastodonStatus
	api.do(t, http.MethodGet, "/api/v1/statuses/"+posted.ID, nil, "", http.StatusOK, &got)
	want := mastodonStatus{
		ID:         posted.ID,
		URL:        gts.URL() + "/@alice/statuses/" + posted.ID,
		Visibility: "unlisted",
		Language:   "en",
		Account:    struct{ Username string }{"alice"},
		Media: []mastodonMedia{{
			ID:          mediaID,
			Type:        "image",
			Description: "A red rectangle, 64 by 48",
		}},
	}
	want.Media[0].Meta.Original.Width, want.Media[0].Meta.Original.Height = 64, 48
	// Content and the media URL are checked below.
	ignore := cmp.Options{cmpopts.IgnoreFields(mastodonStatus{}, "Content"), cmpopts.IgnoreFields(mastodonMedia{}, "URL")}
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("status read back (-want +got):\n%s", diff)
	}
	if len(got.Media) == 1 {
		resp, err := http.Get(got.Media[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
			t.Errorf("GET %s: status %d, type %q, want an image", got.Media[0].URL, resp.StatusCode, resp.Header.Get("Content-Type"))
		} else {
			t.Logf("attachment served as %s, %d bytes (uploaded %d bytes of PNG)", resp.Header.Get("Content-Type"), len(body), len(testPNG(t, 64, 48)))
		}
	}
	// GoToSocial renders the text to HTML: the hashtag and the link become
	// anchors, the emoji stays.
	for _, part := range []string{"Hello from Herald", `href="` + gts.URL() + `/tags/herald"`, `href="https://example.org/post"`, "🎉"} {
		if !strings.Contains(got.Content, part) {
			t.Errorf("status content %q lacks %q", got.Content, part)
		}
	}
}

// TestGoToSocialPKCE records how GoToSocial v0.17.3 treats PKCE: it ignores
// it. Its authorize handler keeps only some parameters in the session and
// code_challenge is not among them; its token handler rebuilds the form
// without code_verifier. So a client may send PKCE to it safely (the flow
// works with the right verifier, a wrong one or none), but gets none of its
// protection there. Mastodon itself enforces PKCE since 4.3.
func TestGoToSocialPKCE(t *testing.T) {
	t.Parallel()
	gts := peers.GoToSocial(t)
	acct := gts.Account()

	tests := []struct {
		name     string
		verifier func(right string) string // what the token request sends
	}{
		{name: "right verifier", verifier: func(right string) string { return right }},
		{name: "wrong verifier accepted", verifier: func(string) string { return "wrong-" + rand.Text() + rand.Text() }},
		{name: "no verifier accepted", verifier: func(string) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := registerApp(t, gts.URL(), "read")
			verifier := rand.Text() + rand.Text()
			sum := sha256.Sum256([]byte(verifier))
			challenge := base64.RawURLEncoding.EncodeToString(sum[:])
			code := gts.AuthorizeApp(t, app.ClientID, redirectURI, "read", "s", challenge, acct.Email, acct.Password)
			token, status := exchangeCode(t, gts.URL(), app, code, tt.verifier(verifier))
			if status != http.StatusOK || token == "" {
				t.Fatalf("token exchange: status %d, token set %v; want 200 with a token (GoToSocial ignores PKCE)", status, token != "")
			}
		})
	}
}

// TestGoToSocialIdempotencyKey records that GoToSocial v0.17.3 ignores
// Idempotency-Key: two posts with the same key make two statuses (Mastodon
// returns the first status again). Reconciliation cannot rest on the key.
func TestGoToSocialIdempotencyKey(t *testing.T) {
	t.Parallel()
	gts := peers.GoToSocial(t)
	api := connectUser(t, gts, "idem")

	key := "herald-" + randomText(t)
	form := url.Values{"status": {"same key " + key}, "visibility": {"private"}}
	var first, second mastodonStatus
	api.do(t, http.MethodPost, "/api/v1/statuses", form, key, http.StatusOK, &first)
	api.do(t, http.MethodPost, "/api/v1/statuses", form, key, http.StatusOK, &second)
	if first.ID == "" || second.ID == "" {
		t.Fatalf("status ids %q and %q, want both set", first.ID, second.ID)
	}
	if first.ID == second.ID {
		t.Fatalf("both posts returned status %s: GoToSocial now honours Idempotency-Key; update the notes and the Mastodon adapter", first.ID)
	}
	var statuses []mastodonStatus
	api.do(t, http.MethodGet, "/api/v1/accounts/"+api.accountID(t)+"/statuses?limit=10", nil, "", http.StatusOK, &statuses)
	if len(statuses) != 2 {
		t.Errorf("account has %d statuses, want 2 (one per post)", len(statuses))
	}
}

// TestGoToSocialInstanceLimits records the limits GoToSocial publishes in
// /api/v2/instance with its default settings, which Herald reads as the
// account's rules.
func TestGoToSocialInstanceLimits(t *testing.T) {
	t.Parallel()
	gts := peers.GoToSocial(t)
	api := mastodonClient{base: gts.URL()}

	var instance struct {
		Domain        string `json:"domain"`
		Version       string `json:"version"`
		Configuration struct {
			Statuses struct {
				MaxCharacters            int `json:"max_characters"`
				MaxMediaAttachments      int `json:"max_media_attachments"`
				CharactersReservedPerURL int `json:"characters_reserved_per_url"`
			} `json:"statuses"`
			MediaAttachments struct {
				SupportedMimeTypes []string `json:"supported_mime_types"`
				ImageSizeLimit     int      `json:"image_size_limit"`
			} `json:"media_attachments"`
		} `json:"configuration"`
	}
	api.do(t, http.MethodGet, "/api/v2/instance", nil, "", http.StatusOK, &instance)
	t.Logf("GoToSocial /api/v2/instance: domain %q, version %q, statuses %+v, image size limit %d",
		instance.Domain, instance.Version, instance.Configuration.Statuses, instance.Configuration.MediaAttachments.ImageSizeLimit)

	st := instance.Configuration.Statuses
	if diff := cmp.Diff(struct{ MaxChars, MaxMedia, PerURL int }{5000, 6, 25},
		struct{ MaxChars, MaxMedia, PerURL int }{st.MaxCharacters, st.MaxMediaAttachments, st.CharactersReservedPerURL}); diff != "" {
		t.Errorf("status limits (-want +got):\n%s", diff)
	}
	// instance-inject-mastodon-version makes GoToSocial claim a Mastodon
	// version, as clients that gate features on it expect; its own version
	// follows the "+".
	if instance.Version != "3.5.3+0.17.3" {
		t.Errorf("version %q, want 3.5.3+0.17.3", instance.Version)
	}
	if instance.Configuration.MediaAttachments.ImageSizeLimit <= 0 {
		t.Errorf("image_size_limit = %d, want a positive size", instance.Configuration.MediaAttachments.ImageSizeLimit)
	}
}

// TestPDSPublish does what Herald's Bluesky adapter does with an app
// password: signs in, uploads an image, writes a post under a record key
// chosen beforehand, reads it back, and shows that writing the same key
// again cannot make a second post.
func TestPDSPublish(t *testing.T) {
	t.Parallel()
	pds := peers.PDS(t)
	const handle = "alice.test"
	password := "Alice-" + randomText(t)
	did := pds.CreateAccount(t, handle, "alice@example.org", password)
	if !strings.HasPrefix(did, "did:plc:") {
		t.Fatalf("did %q, want did:plc:...", did)
	}

	// The DID resolves at the PLC directory to this PDS.
	var doc struct {
		AlsoKnownAs []string `json:"alsoKnownAs"`
		Service     []struct {
			ID              string `json:"id"`
			ServiceEndpoint string `json:"serviceEndpoint"`
		} `json:"service"`
	}
	getJSON(t, pds.PLCURL()+"/"+did, "", http.StatusOK, &doc)
	if diff := cmp.Diff([]string{"at://" + handle}, doc.AlsoKnownAs); diff != "" {
		t.Errorf("DID document alsoKnownAs (-want +got):\n%s", diff)
	}
	if len(doc.Service) != 1 || doc.Service[0].ServiceEndpoint != pds.PublicURL() {
		t.Errorf("DID document services %+v, want one at %s", doc.Service, pds.PublicURL())
	}

	appPassword := pds.CreateAppPassword(t, handle, password, "Herald")
	var session struct {
		DID       string `json:"did"`
		Handle    string `json:"handle"`
		AccessJwt string `json:"accessJwt"`
	}
	postJSON(t, pds.URL()+"/xrpc/com.atproto.server.createSession", "",
		map[string]string{"identifier": handle, "password": appPassword}, http.StatusOK, &session)
	if session.DID != did || session.Handle != handle {
		t.Fatalf("session for %s %s, want %s %s", session.Handle, session.DID, handle, did)
	}
	jwt := session.AccessJwt

	var upload struct {
		Blob json.RawMessage `json:"blob"`
	}
	img := testPNG(t, 40, 30)
	do(t, http.MethodPost, pds.URL()+"/xrpc/com.atproto.repo.uploadBlob", jwt, "image/png", bytes.NewReader(img), http.StatusOK, &upload)
	var blob struct {
		Type     string            `json:"$type"`
		Ref      map[string]string `json:"ref"`
		MimeType string            `json:"mimeType"`
		Size     int               `json:"size"`
	}
	if err := json.Unmarshal(upload.Blob, &blob); err != nil {
		t.Fatal(err)
	}
	if blob.Type != "blob" || blob.Ref["$link"] == "" || blob.MimeType != "image/png" || blob.Size != len(img) {
		t.Fatalf("uploaded blob %s, want a png blob of %d bytes", upload.Blob, len(img))
	}

	rkey := newTID(time.Now())
	text := "Hello from Herald https://example.org 🎉"
	record := map[string]any{
		"$type":     "app.bsky.feed.post",
		"text":      text,
		"createdAt": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"langs":     []string{"en"},
		"facets": []any{map[string]any{
			"index":    map[string]int{"byteStart": 18, "byteEnd": 37},
			"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org"}},
		}},
		"embed": map[string]any{
			"$type": "app.bsky.embed.images",
			"images": []any{map[string]any{
				"alt":         "A red rectangle",
				"image":       upload.Blob,
				"aspectRatio": map[string]int{"width": 40, "height": 30},
			}},
		},
	}
	put := map[string]any{"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey, "record": record}
	var written struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	postJSON(t, pds.URL()+"/xrpc/com.atproto.repo.putRecord", jwt, put, http.StatusOK, &written)
	wantURI := "at://" + did + "/app.bsky.feed.post/" + rkey
	if written.URI != wantURI {
		t.Fatalf("putRecord uri %q, want %q", written.URI, wantURI)
	}

	var read struct {
		URI   string         `json:"uri"`
		CID   string         `json:"cid"`
		Value map[string]any `json:"value"`
	}
	getJSON(t, pds.URL()+"/xrpc/com.atproto.repo.getRecord?"+url.Values{
		"repo": {did}, "collection": {"app.bsky.feed.post"}, "rkey": {rkey},
	}.Encode(), "", http.StatusOK, &read)
	if read.URI != wantURI || read.CID != written.CID {
		t.Errorf("getRecord %s %s, want %s %s", read.URI, read.CID, wantURI, written.CID)
	}
	if diff := cmp.Diff(roundTrip(t, record), read.Value); diff != "" {
		t.Errorf("record read back (-want +got):\n%s", diff)
	}

	// A retry of the same write (same key, same record) changes nothing: same
	// CID, and no commit in the answer because the repository did not change.
	var again struct {
		URI    string          `json:"uri"`
		CID    string          `json:"cid"`
		Commit json.RawMessage `json:"commit"`
	}
	postJSON(t, pds.URL()+"/xrpc/com.atproto.repo.putRecord", jwt, put, http.StatusOK, &again)
	if again.URI != wantURI || again.CID != written.CID || again.Commit != nil {
		t.Errorf("second putRecord %s %s commit %s, want %s %s and no commit", again.URI, again.CID, again.Commit, wantURI, written.CID)
	}

	// createRecord with a key that exists is refused, but as a 500 whose
	// reason ("There is already a value at key") is only in the PDS log: a
	// client cannot tell it from a crash, so retries use putRecord.
	var refused struct {
		Error string `json:"error"`
	}
	postJSON(t, pds.URL()+"/xrpc/com.atproto.repo.createRecord", jwt, put, http.StatusInternalServerError, &refused)
	if refused.Error != "InternalServerError" {
		t.Errorf("createRecord with an existing rkey: error %q, want InternalServerError", refused.Error)
	}

	// Record keys of app.bsky.feed.post must be TIDs.
	badKey := map[string]any{"repo": did, "collection": "app.bsky.feed.post", "rkey": "herald-1", "record": record}
	postJSON(t, pds.URL()+"/xrpc/com.atproto.repo.putRecord", jwt, badKey, http.StatusBadRequest, &refused)
	if refused.Error != "InvalidRequest" {
		t.Errorf("putRecord with a non-TID rkey: error %q, want InvalidRequest", refused.Error)
	}

	var list struct {
		Records []struct {
			URI string `json:"uri"`
		} `json:"records"`
	}
	getJSON(t, pds.URL()+"/xrpc/com.atproto.repo.listRecords?"+url.Values{
		"repo": {did}, "collection": {"app.bsky.feed.post"},
	}.Encode(), "", http.StatusOK, &list)
	if len(list.Records) != 1 || list.Records[0].URI != wantURI {
		t.Errorf("listRecords = %+v, want exactly %s", list.Records, wantURI)
	}
}

// --- Mastodon API client pieces ---

type mastodonApp struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type mastodonMedia struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	URL         string `json:"url"`
	Description string `json:"description"`
	Meta        struct {
		Original struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"original"`
	} `json:"meta"`
}

type mastodonStatus struct {
	ID         string `json:"id"`
	URL        string `json:"url"`
	Content    string `json:"content"`
	Visibility string `json:"visibility"`
	Language   string `json:"language"`
	Account    struct{ Username string }
	Media      []mastodonMedia `json:"media_attachments"`
}

// registerApp registers an OAuth app as Herald does on first connection.
func registerApp(t *testing.T, base, scopes string) mastodonApp {
	t.Helper()
	var app mastodonApp
	form := url.Values{"client_name": {"Herald test"}, "redirect_uris": {redirectURI}, "scopes": {scopes}, "website": {"https://example.org"}}
	(&mastodonClient{base: base}).do(t, http.MethodPost, "/api/v1/apps", form, "", http.StatusOK, &app)
	if app.ClientID == "" || app.ClientSecret == "" {
		t.Fatalf("app registration returned %+v", app)
	}
	return app
}

// exchangeCode trades an authorization code for an access token and returns
// the token and the HTTP status.
func exchangeCode(t *testing.T, base string, app mastodonApp, code, verifier string) (string, int) {
	t.Helper()
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {app.ClientID},
		"client_secret": {app.ClientSecret},
		"redirect_uri":  {redirectURI},
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	resp, err := http.PostForm(base+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &tok); err != nil {
			t.Fatalf("token answer %s: %v", body, err)
		}
	} else {
		t.Logf("token exchange answered %d: %s", resp.StatusCode, body)
	}
	return tok.AccessToken, resp.StatusCode
}

// connectUser makes a user and returns a client with a token for it.
func connectUser(t *testing.T, gts *testpeer.GoToSocial, username string) *mastodonClient {
	t.Helper()
	email := username + "@example.org"
	password := "Pw-" + randomText(t)
	gts.CreateUser(t, username, email, password)
	app := registerApp(t, gts.URL(), "read write")
	code := gts.AuthorizeApp(t, app.ClientID, redirectURI, "read write", "st", "", email, password)
	token, status := exchangeCode(t, gts.URL(), app, code, "")
	if status != http.StatusOK {
		t.Fatalf("token exchange for %s: status %d", username, status)
	}
	return &mastodonClient{base: gts.URL(), token: token}
}

type mastodonClient struct {
	base  string
	token string
}

// do sends a form (or nothing) and decodes the JSON answer into out.
func (c *mastodonClient) do(t *testing.T, method, path string, form url.Values, idempotencyKey string, wantStatus int, out any) {
	t.Helper()
	var body io.Reader
	contentType := ""
	if form != nil {
		body = strings.NewReader(form.Encode())
		contentType = "application/x-www-form-urlencoded"
	}
	req := newRequest(t, method, c.base+path, c.token, contentType, body)
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	send(t, req, wantStatus, out)
}

func (c *mastodonClient) accountID(t *testing.T) string {
	t.Helper()
	var me struct {
		ID string `json:"id"`
	}
	c.do(t, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "", http.StatusOK, &me)
	return me.ID
}

// uploadMedia uploads a PNG through /api/v2/media and waits until the server
// has processed it (202 means still processing).
func (c *mastodonClient) uploadMedia(t *testing.T, img []byte, description string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "image.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(img)
	mw.WriteField("description", description)
	mw.Close()
	req := newRequest(t, http.MethodPost, c.base+"/api/v2/media", c.token, mw.FormDataContentType(), &buf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := readAll(t, resp)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload media: status %d: %s", resp.StatusCode, b)
	}
	var m struct {
		ID  string  `json:"id"`
		URL *string `json:"url"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("upload media answer %s: %v", b, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for m.URL == nil {
		// Polling is what a Mastodon client must do here: the API offers
		// no notification when processing ends.
		select {
		case <-ctx.Done():
			t.Fatalf("media %s still processing after a minute", m.ID)
		case <-time.After(200 * time.Millisecond):
		}
		c.do(t, http.MethodGet, "/api/v1/media/"+m.ID, nil, "", http.StatusOK, &m)
	}
	return m.ID
}

// --- HTTP and data helpers ---

func newRequest(t *testing.T, method, u, bearer, contentType string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	return req
}

func send(t *testing.T, req *http.Request, wantStatus int, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := readAll(t, resp)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", req.Method, req.URL.Path, b, err)
		}
	}
}

func do(t *testing.T, method, u, bearer, contentType string, body io.Reader, wantStatus int, out any) {
	t.Helper()
	send(t, newRequest(t, method, u, bearer, contentType, body), wantStatus, out)
}

func getJSON(t *testing.T, u, bearer string, wantStatus int, out any) {
	t.Helper()
	do(t, http.MethodGet, u, bearer, "", nil, wantStatus, out)
}

func postJSON(t *testing.T, u, bearer string, in any, wantStatus int, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	do(t, http.MethodPost, u, bearer, "application/json", bytes.NewReader(b), wantStatus, out)
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roundTrip gives v as it looks after JSON encoding and decoding, to compare
// with what a server returns.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// testPNG makes a small opaque red PNG.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: 220, G: 30, B: 30, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func randomText(t *testing.T) string {
	t.Helper()
	return rand.Text()[:16]
}

// newTID makes an AT Protocol timestamp identifier, the record key format of
// app.bsky.feed.post: 53 bits of microseconds since the epoch and 10 bits of
// clock id, in base32-sortable, 13 characters.
func newTID(now time.Time) string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	var clock [2]byte
	rand.Read(clock[:])
	clockID := (uint64(clock[0])<<8 | uint64(clock[1])) & 0x3ff
	v := uint64(now.UnixMicro())<<10 | clockID
	var out [13]byte
	for i := 12; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return string(out[:])
}
