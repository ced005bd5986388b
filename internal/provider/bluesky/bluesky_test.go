package bluesky_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/bluesky"
	"github.com/heraldhq/herald/internal/provider/providertest/blueskyfake"
)

type fixture struct {
	fake  *blueskyfake.Server
	p     *bluesky.Provider
	acct  *provider.Account
	did   string
	saved *savedCreds
}

// savedCreds records what the adapter persisted.
type savedCreds struct {
	mu   sync.Mutex
	list []bluesky.Credentials
}

func (s *savedCreds) save(_ context.Context, raw json.RawMessage) error {
	var c bluesky.Credentials
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, c)
	return nil
}

func (s *savedCreds) all() []bluesky.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bluesky.Credentials(nil), s.list...)
}

func setup(t *testing.T, cfg bluesky.Config) *fixture {
	t.Helper()
	fake := blueskyfake.NewTest(t, blueskyfake.Options{})
	did := fake.CreateAccount("alice.test", "app-pass-1")
	cfg.Service = fake.URL
	if cfg.PLCURL == "" {
		cfg.PLCURL = fake.URL
	}
	p := bluesky.New(cfg, &http.Client{})
	acct, err := p.Connect(context.Background(), json.RawMessage(`{"handle":"@Alice.test","appPassword":"app-pass-1"}`))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	saved := &savedCreds{}
	acct.SaveCredentials = saved.save
	return &fixture{fake: fake, p: p, acct: acct, did: did, saved: saved}
}

func kind(err error) provider.ErrorKind {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}

func message(err error) string {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return ""
}

func creds(t *testing.T, acct *provider.Account) bluesky.Credentials {
	t.Helper()
	var c bluesky.Credentials
	if err := json.Unmarshal(acct.Credentials, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// storedPost is the record as the fake stored it.
type storedPost struct {
	Type      string          `json:"$type"`
	Text      string          `json:"text"`
	CreatedAt string          `json:"createdAt"`
	Langs     []string        `json:"langs"`
	Facets    []bluesky.Facet `json:"facets"`
	Embed     struct {
		Type   string `json:"$type"`
		Images []struct {
			Alt         *string `json:"alt"`
			AspectRatio struct {
				Width  int `json:"width"`
				Height int `json:"height"`
			} `json:"aspectRatio"`
			Image struct {
				Ref struct {
					Link string `json:"$link"`
				} `json:"ref"`
				MimeType string `json:"mimeType"`
				Size     int    `json:"size"`
			} `json:"image"`
		} `json:"images"`
	} `json:"embed"`
}

func (f *fixture) post(t *testing.T, remoteID string) storedPost {
	t.Helper()
	rkey := remoteID[strings.LastIndexByte(remoteID, '/')+1:]
	rec, ok := f.fake.Record(f.did, bluesky.PostCollection, rkey)
	if !ok || rec.Deleted {
		t.Fatalf("record %s not on the PDS", remoteID)
	}
	var p storedPost
	if err := json.Unmarshal(rec.Value, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConnect(t *testing.T) {
	t.Parallel()
	f := setup(t, bluesky.Config{})
	c := creds(t, f.acct)
	if c.DID != f.did || c.Handle != "alice.test" || c.PDS != f.fake.URL || c.AccessJwt == "" || c.RefreshJwt == "" || c.AppPassword != "app-pass-1" {
		t.Errorf("credentials = %+v", c)
	}
	if f.acct.ExternalID != f.did || f.acct.Name != "@alice.test" {
		t.Errorf("account = %+v", f.acct)
	}

	tests := []struct {
		name     string
		in       string
		plc      string
		wantKind provider.ErrorKind
		wantMsg  string
	}{
		{name: "wrong password", in: `{"handle":"alice.test","appPassword":"nope"}`, wantKind: provider.KindRejected, wantMsg: "Invalid identifier or password"},
		{name: "unknown handle", in: `{"handle":"nobody.test","appPassword":"x"}`, wantKind: provider.KindRejected, wantMsg: "Unable to resolve handle"},
		{name: "missing password", in: `{"handle":"alice.test"}`, wantKind: provider.KindRejected, wantMsg: "handle and appPassword are required"},
		{name: "bad service", in: `{"handle":"alice.test","appPassword":"x","service":"ftp://x"}`, wantKind: provider.KindRejected},
		{name: "plc unreachable falls back to the service", in: `{"handle":"alice.test","appPassword":"app-pass-1"}`, plc: "http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := bluesky.New(bluesky.Config{Service: f.fake.URL, PLCURL: or(tt.plc, f.fake.URL)}, &http.Client{})
			acct, err := p.Connect(context.Background(), json.RawMessage(tt.in))
			if kind(err) != tt.wantKind {
				t.Fatalf("kind = %v (%v), want %v", kind(err), err, tt.wantKind)
			}
			if tt.wantMsg != "" && message(err) != tt.wantMsg {
				t.Errorf("message = %q, want %q", message(err), tt.wantMsg)
			}
			if err == nil && creds(t, acct).PDS != f.fake.URL {
				t.Errorf("pds = %q", creds(t, acct).PDS)
			}
		})
	}
}

func TestRecordKey(t *testing.T) {
	t.Parallel()
	tid := regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)
	seen := map[string]bool{}
	for _, k := range []string{"a", "b", "target-1", "target-2", strings.Repeat("x", 64), ""} {
		rk := bluesky.RecordKey(k)
		if !tid.MatchString(rk) {
			t.Errorf("RecordKey(%q) = %q, not a TID", k, rk)
		}
		if rk != bluesky.RecordKey(k) {
			t.Errorf("RecordKey(%q) is not deterministic", k)
		}
		if seen[rk] {
			t.Errorf("RecordKey(%q) = %q collides", k, rk)
		}
		seen[rk] = true
	}
}

func TestDetectFacets(t *testing.T) {
	t.Parallel()
	dids := map[string]string{"bob.test": "did:plc:bob", "carol.example.com": "did:plc:carol"}
	resolve := func(_ context.Context, h string) (string, bool) { d, ok := dids[h]; return d, ok }
	// span returns the byte range of the n-th occurrence of sub.
	span := func(s, sub string) bluesky.ByteSlice {
		i := strings.Index(s, sub)
		return bluesky.ByteSlice{ByteStart: i, ByteEnd: i + len(sub)}
	}
	tests := []struct {
		name string
		text string
		want func(string) []bluesky.Facet
	}{
		{
			name: "emoji and cjk before entities shift byte offsets",
			text: "👨‍👩‍👧 日本語 @bob.test https://example.com/日本?q=1 #ハッシュ",
			want: func(s string) []bluesky.Facet {
				return []bluesky.Facet{
					{Index: span(s, "@bob.test"), Features: []bluesky.Feature{{Type: bluesky.FeatureMention, DID: "did:plc:bob"}}},
					{Index: span(s, "https://example.com/日本?q=1"), Features: []bluesky.Feature{{Type: bluesky.FeatureLink, URI: "https://example.com/日本?q=1"}}},
					{Index: span(s, "#ハッシュ"), Features: []bluesky.Feature{{Type: bluesky.FeatureTag, Tag: "ハッシュ"}}},
				}
			},
		},
		{
			name: "unresolvable mention is skipped, trailing punctuation trimmed",
			text: "hi @nobody.test and @carol.example.com. See (https://a.example/x).",
			want: func(s string) []bluesky.Facet {
				return []bluesky.Facet{
					{Index: span(s, "@carol.example.com"), Features: []bluesky.Feature{{Type: bluesky.FeatureMention, DID: "did:plc:carol"}}},
					{Index: span(s, "https://a.example/x"), Features: []bluesky.Feature{{Type: bluesky.FeatureLink, URI: "https://a.example/x"}}},
				}
			},
		},
		{
			name: "tags: numbers, keycaps and fragments are not tags",
			text: "#123 #️⃣ https://x.example/#frag #go! #tag_2",
			want: func(s string) []bluesky.Facet {
				return []bluesky.Facet{
					{Index: span(s, "https://x.example/#frag"), Features: []bluesky.Feature{{Type: bluesky.FeatureLink, URI: "https://x.example/#frag"}}},
					{Index: span(s, "#go"), Features: []bluesky.Feature{{Type: bluesky.FeatureTag, Tag: "go"}}},
					{Index: span(s, "#tag_2"), Features: []bluesky.Feature{{Type: bluesky.FeatureTag, Tag: "tag_2"}}},
				}
			},
		},
		{
			name: "email and mid-word at are not mentions",
			text: "mail a@bob.test or x@y",
			want: func(string) []bluesky.Facet { return nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := bluesky.DetectFacets(context.Background(), tt.text, resolve)
			if diff := cmp.Diff(tt.want(tt.text), got); diff != "" {
				t.Errorf("facets (-want +got):\n%s", diff)
			}
			for _, f := range got {
				if f.Index.ByteEnd > len(tt.text) {
					t.Errorf("facet %+v beyond the text", f)
				}
			}
		})
	}
}

func TestPublishTextWithFacets(t *testing.T) {
	t.Parallel()
	f := setup(t, bluesky.Config{})
	bob := f.fake.CreateAccount("bob.test", "x")
	text := "Tokyo 🌸 日本 @bob.test @ghost.test read https://example.com/記事 #桜"
	req := &provider.PublishRequest{Key: "t-1", Text: text, Options: map[string]string{"language": "ja"}}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	rkey := bluesky.RecordKey("t-1")
	if pub.RemoteID != "at://"+f.did+"/app.bsky.feed.post/"+rkey || pub.URL != "https://bsky.app/profile/alice.test/post/"+rkey {
		t.Errorf("published = %+v", pub)
	}
	got := f.post(t, pub.RemoteID)
	at := func(sub string) bluesky.ByteSlice {
		i := strings.Index(text, sub)
		return bluesky.ByteSlice{ByteStart: i, ByteEnd: i + len(sub)}
	}
	want := []bluesky.Facet{
		{Index: at("@bob.test"), Features: []bluesky.Feature{{Type: bluesky.FeatureMention, DID: bob}}},
		{Index: at("https://example.com/記事"), Features: []bluesky.Feature{{Type: bluesky.FeatureLink, URI: "https://example.com/記事"}}},
		{Index: at("#桜"), Features: []bluesky.Feature{{Type: bluesky.FeatureTag, Tag: "桜"}}},
	}
	if diff := cmp.Diff(want, got.Facets); diff != "" {
		t.Errorf("facets (-want +got):\n%s", diff)
	}
	if got.Text != text || got.Type != "app.bsky.feed.post" || !cmp.Equal(got.Langs, []string{"ja"}) {
		t.Errorf("record = %+v", got)
	}
	if _, err := time.Parse(time.RFC3339, got.CreatedAt); err != nil {
		t.Errorf("createdAt %q: %v", got.CreatedAt, err)
	}
}

func pngMedia(alt string, data []byte, w, h int) provider.Media {
	return provider.Media{
		Kind: "image", MIME: "image/png", Size: int64(len(data)), Width: w, Height: h, AltText: alt,
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

func TestPublishImages(t *testing.T) {
	t.Parallel()
	f := setup(t, bluesky.Config{})
	img1 := []byte("\x89PNG\r\n\x1a\none")
	img2 := []byte("\x89PNG\r\n\x1a\ntwo")
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "img", Text: "pics", Media: []provider.Media{pngMedia("a red door", img1, 800, 600), pngMedia("", img2, 0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	got := f.post(t, pub.RemoteID)
	if got.Embed.Type != "app.bsky.embed.images" || len(got.Embed.Images) != 2 {
		t.Fatalf("embed = %+v", got.Embed)
	}
	first, second := got.Embed.Images[0], got.Embed.Images[1]
	if first.Alt == nil || *first.Alt != "a red door" || first.AspectRatio.Width != 800 || first.AspectRatio.Height != 600 {
		t.Errorf("first image = %+v", first)
	}
	if second.Alt == nil || *second.Alt != "" {
		t.Errorf("second image must carry an empty alt, got %+v", second.Alt)
	}
	blob, ok := f.fake.Blob(first.Image.Ref.Link)
	if !ok || !bytes.Equal(blob.Data, img1) || blob.MIME != "image/png" || first.Image.Size != len(img1) {
		t.Errorf("blob = %+v", blob)
	}
}

func TestPublishIsIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       *blueskyfake.Fault
		timeout     time.Duration
		wantKind    provider.ErrorKind // of the first attempt; 0 = success
		wantCreated int                // after the first attempt
	}{
		{name: "plain retry after success"},
		{name: "response lost after the write", fault: &blueskyfake.Fault{Kind: blueskyfake.FaultTimeoutAfter}, timeout: 300 * time.Millisecond, wantKind: provider.KindOutcomeUnknown, wantCreated: 1},
		{name: "timeout before the write", fault: &blueskyfake.Fault{Kind: blueskyfake.FaultTimeoutBefore}, timeout: 300 * time.Millisecond, wantKind: provider.KindOutcomeUnknown},
		{name: "503 before the write is checked and transient", fault: &blueskyfake.Fault{Kind: blueskyfake.FaultStatus, Status: 503}, wantKind: provider.KindTransient},
		{name: "502 after the write is found at once", fault: &blueskyfake.Fault{Kind: blueskyfake.FaultStatusAfter}, wantCreated: 1},
		{name: "malformed success is found at once", fault: &blueskyfake.Fault{Kind: blueskyfake.FaultMalformed}, wantCreated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, bluesky.Config{})
			req := &provider.PublishRequest{Key: "same-target", Text: "once only " + tt.name}
			if tt.fault != nil {
				f.fake.InjectFault("POST /xrpc/com.atproto.repo.putRecord", *tt.fault)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			first, err := f.p.Publish(ctx, f.acct, req)
			if kind(err) != tt.wantKind {
				t.Fatalf("first attempt: kind %v (%v), want %v", kind(err), err, tt.wantKind)
			}
			wantAfterFirst := tt.wantCreated
			if tt.wantKind == 0 {
				wantAfterFirst = 1
			}
			if n := f.fake.CreatedCount(req.Text); n != wantAfterFirst {
				t.Errorf("after the first attempt %d posts, want %d", n, wantAfterFirst)
			}
			if tt.wantKind == provider.KindOutcomeUnknown {
				found, err := f.p.Find(context.Background(), f.acct, req)
				switch {
				case tt.wantCreated == 1 && err != nil:
					t.Errorf("Find = %v, want the post", err)
				case tt.wantCreated == 0 && !errors.Is(err, provider.ErrNotPublished):
					t.Errorf("Find = %v, %v; want ErrNotPublished", found, err)
				}
			}
			// The engine may retry (or a crashed worker may run it again): never twice.
			again, err := f.p.Publish(context.Background(), f.acct, req)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if first != nil && again.RemoteID != first.RemoteID {
				t.Errorf("retry returned %s, first %s", again.RemoteID, first.RemoteID)
			}
			if n := f.fake.CreatedCount(req.Text); n != 1 {
				t.Errorf("%d posts with the text, want exactly 1", n)
			}
			if recs := f.fake.Records(bluesky.PostCollection); len(recs) != 1 {
				t.Errorf("%d records, want 1", len(recs))
			}
		})
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		route    string
		fault    blueskyfake.Fault
		text     string
		wantKind provider.ErrorKind
		wantMsg  string
		media    bool
	}{
		{name: "rate limited", route: "POST /xrpc/com.atproto.repo.putRecord", fault: blueskyfake.Fault{Kind: blueskyfake.FaultRateLimit, RetryAfter: time.Minute}, wantKind: provider.KindRateLimited, wantMsg: "Rate Limit Exceeded"},
		{name: "too long", text: strings.Repeat("é", 301), wantKind: provider.KindRejected, wantMsg: "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"},
		{name: "blob upload 500 is safe", route: "POST /xrpc/com.atproto.repo.uploadBlob", fault: blueskyfake.Fault{Kind: blueskyfake.FaultStatus, Status: 500}, media: true, wantKind: provider.KindTransient},
		{name: "image over 1,000,000 bytes", media: true, text: "big", wantKind: provider.KindRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, bluesky.Config{})
			if tt.route != "" {
				f.fake.InjectFault(tt.route, tt.fault)
			}
			req := &provider.PublishRequest{Key: "k", Text: or(tt.text, "hello")}
			if tt.media {
				size := 10
				if tt.text == "big" {
					size = 1_000_001
				}
				req.Media = []provider.Media{pngMedia("", bytes.Repeat([]byte{1}, size), 0, 0)}
			}
			start := time.Now()
			_, err := f.p.Publish(context.Background(), f.acct, req)
			if kind(err) != tt.wantKind {
				t.Fatalf("kind = %v (%v), want %v", kind(err), err, tt.wantKind)
			}
			if tt.wantMsg != "" && message(err) != tt.wantMsg {
				t.Errorf("message = %q, want %q", message(err), tt.wantMsg)
			}
			if tt.wantKind == provider.KindRateLimited {
				var pe *provider.Error
				errors.As(err, &pe)
				if pe.RetryAt.Before(start.Add(50*time.Second)) || pe.RetryAt.After(start.Add(70*time.Second)) {
					t.Errorf("RetryAt = %v, want about a minute from now (ratelimit-reset)", pe.RetryAt)
				}
			}
			if n := f.fake.CreatedCount(req.Text); n != 0 {
				t.Errorf("%d posts created", n)
			}
		})
	}
}

func TestSessionRefresh(t *testing.T) {
	t.Parallel()
	const refreshRoute = "POST /xrpc/com.atproto.server.refreshSession"
	const createRoute = "POST /xrpc/com.atproto.server.createSession"
	t.Run("expired access token is refreshed and saved", func(t *testing.T) {
		t.Parallel()
		f := setup(t, bluesky.Config{})
		before := creds(t, f.acct)
		f.fake.ExpireAccessTokens()
		if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "r1", Text: "after expiry"}); err != nil {
			t.Fatal(err)
		}
		saved := f.saved.all()
		if len(saved) != 1 {
			t.Fatalf("SaveCredentials called %d times, want 1", len(saved))
		}
		got := saved[0]
		if got.AccessJwt == before.AccessJwt || got.RefreshJwt == before.RefreshJwt || got.RefreshJwt == "" || got.AppPassword != "app-pass-1" {
			t.Errorf("saved = %+v", got)
		}
		if creds(t, f.acct) != got {
			t.Errorf("acct.Credentials not updated in place")
		}
		if f.fake.Requests(refreshRoute) != 1 || f.fake.Requests(createRoute) != 1 {
			t.Errorf("refreshSession %d, createSession %d; want 1 and 1 (the connect)", f.fake.Requests(refreshRoute), f.fake.Requests(createRoute))
		}
	})
	t.Run("refresh before expiry", func(t *testing.T) {
		t.Parallel()
		// The adapter's clock is 2 h ahead: the token looks about to expire.
		f := setup(t, bluesky.Config{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
		if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "r2", Text: "early"}); err != nil {
			t.Fatal(err)
		}
		if f.fake.Requests(refreshRoute) != 1 || len(f.saved.all()) != 1 {
			t.Errorf("refreshSession %d, saves %d; want 1 and 1", f.fake.Requests(refreshRoute), len(f.saved.all()))
		}
	})
	t.Run("refused refresh token falls back to the app password", func(t *testing.T) {
		t.Parallel()
		f := setup(t, bluesky.Config{})
		f.fake.RevokeSessions(f.did)
		if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "r3", Text: "new session"}); err != nil {
			t.Fatal(err)
		}
		if f.fake.Requests(createRoute) != 2 || len(f.saved.all()) != 1 {
			t.Errorf("createSession %d, saves %d; want 2 and 1", f.fake.Requests(createRoute), len(f.saved.all()))
		}
	})
	t.Run("revoked app password is unauthorized with the server's reason", func(t *testing.T) {
		t.Parallel()
		f := setup(t, bluesky.Config{})
		f.fake.RevokeSessions(f.did)
		f.fake.SetPassword(f.did, "")
		_, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "r4", Text: "dead"})
		if kind(err) != provider.KindUnauthorized || message(err) != "Invalid identifier or password" {
			t.Errorf("Publish = %v, want unauthorized: Invalid identifier or password", err)
		}
		if len(f.saved.all()) != 0 {
			t.Errorf("credentials saved although nothing was renewed")
		}
	})
	t.Run("refresh that cannot reach the server is token expired", func(t *testing.T) {
		t.Parallel()
		f := setup(t, bluesky.Config{})
		f.fake.ExpireAccessTokens()
		f.fake.InjectFault(refreshRoute, blueskyfake.Fault{Kind: blueskyfake.FaultStatus, Status: 503})
		_, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "r5", Text: "later"})
		if kind(err) != provider.KindTokenExpired {
			t.Fatalf("Publish = %v, want token expired", err)
		}
		if err := f.p.Refresh(context.Background(), f.acct); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "r5", Text: "later"}); err != nil {
			t.Fatal(err)
		}
		if f.fake.CreatedCount("later") != 1 {
			t.Errorf("created %d", f.fake.CreatedCount("later"))
		}
	})
}

// TestRefreshKeepsRefreshToken: a server that answers a refresh without a
// new refresh token must not erase the stored one.
func TestRefreshKeepsRefreshToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/xrpc/com.atproto.server.refreshSession" || r.Header.Get("Authorization") != "Bearer old-refresh" {
			http.Error(w, `{"error":"InvalidRequest"}`, http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"accessJwt":"new-access","refreshJwt":"","handle":"alice.test","did":"did:plc:a"}`))
	}))
	t.Cleanup(srv.Close)
	p := bluesky.New(bluesky.Config{}, srv.Client())
	raw, _ := json.Marshal(bluesky.Credentials{DID: "did:plc:a", Handle: "alice.test", PDS: srv.URL, AccessJwt: "old-access", RefreshJwt: "old-refresh", AppPassword: "pw"})
	saved := &savedCreds{}
	acct := &provider.Account{Credentials: raw, SaveCredentials: saved.save}
	if err := p.Refresh(context.Background(), acct); err != nil {
		t.Fatal(err)
	}
	got := saved.all()
	if len(got) != 1 || got[0].AccessJwt != "new-access" || got[0].RefreshJwt != "old-refresh" {
		t.Errorf("saved = %+v, want the new access token and the old refresh token", got)
	}
}

func TestFindAndDelete(t *testing.T) {
	t.Parallel()
	f := setup(t, bluesky.Config{})
	req := &provider.PublishRequest{Key: "fd", Text: "find me"}
	if _, err := f.p.Find(context.Background(), f.acct, req); !errors.Is(err, provider.ErrNotPublished) {
		t.Fatalf("Find before = %v, want ErrNotPublished", err)
	}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	found, err := f.p.Find(context.Background(), f.acct, req)
	if err != nil || found.RemoteID != pub.RemoteID || found.URL != pub.URL {
		t.Fatalf("Find = %+v, %v; want %+v", found, err, pub)
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Fatal(err)
	}
	if rec, _ := f.fake.Record(f.did, bluesky.PostCollection, bluesky.RecordKey("fd")); !rec.Deleted {
		t.Error("record not deleted")
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Errorf("second delete = %v, want nil", err)
	}
	if _, err := f.p.Find(context.Background(), f.acct, req); !errors.Is(err, provider.ErrNotPublished) {
		t.Errorf("Find after delete = %v, want ErrNotPublished", err)
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	r, err := bluesky.New(bluesky.Config{}, nil).Rules(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{r.MaxChars, r.MaxBytes, r.MaxImages, r.MaxVideos, r.MixImagesAndVideos, r.ImageMaxBytes, r.Count("👨‍👩‍👧 ok")}
	want := []any{300, 3000, 4, 1, false, int64(1_000_000), 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestPublishVideo(t *testing.T) {
	t.Parallel()
	f := setup(t, bluesky.Config{})
	data := []byte("\x00\x00\x00\x18ftypmp42 fake video")
	video := provider.Media{
		Kind: "video", MIME: "video/mp4", Size: int64(len(data)), Width: 1080, Height: 1920, AltText: "a clip",
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "v", Text: "watch", Media: []provider.Media{video}})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := f.fake.Record(f.did, bluesky.PostCollection, bluesky.RecordKey("v"))
	var got struct {
		Embed struct {
			Type        string         `json:"$type"`
			Alt         string         `json:"alt"`
			AspectRatio map[string]int `json:"aspectRatio"`
			Video       struct {
				MimeType string `json:"mimeType"`
			} `json:"video"`
		} `json:"embed"`
	}
	if err := json.Unmarshal(rec.Value, &got); err != nil {
		t.Fatal(err)
	}
	want := []any{"app.bsky.embed.video", "a clip", 1080, 1920, "video/mp4"}
	if diff := cmp.Diff(want, []any{got.Embed.Type, got.Embed.Alt, got.Embed.AspectRatio["width"], got.Embed.AspectRatio["height"], got.Embed.Video.MimeType}); diff != "" {
		t.Errorf("embed of %s (-want +got):\n%s", pub.RemoteID, diff)
	}
	_, err = f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "v2", Text: "mixed", Media: []provider.Media{pngMedia("", []byte("x"), 0, 0), video}})
	if kind(err) != provider.KindRejected {
		t.Errorf("image + video = %v, want rejected", err)
	}
}
