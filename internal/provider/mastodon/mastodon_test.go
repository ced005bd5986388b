package mastodon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
)

type fixture struct {
	fake  *mastodonfake.Server
	p     *mastodon.Provider
	acct  *provider.Account
	token string
}

func setup(t *testing.T, opts mastodonfake.Options) *fixture {
	t.Helper()
	fake := mastodonfake.NewTest(t, opts)
	_, tok := fake.CreateAccount("alice")
	p := mastodon.New(mastodon.Config{MediaPollInterval: time.Millisecond, MediaPollMax: 5 * time.Millisecond}, &http.Client{})
	in, _ := json.Marshal(map[string]string{"instanceUrl": fake.URL, "accessToken": tok})
	acct, err := p.Connect(context.Background(), in)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return &fixture{fake: fake, p: p, acct: acct, token: tok}
}

func image(alt string, data []byte) provider.Media {
	return provider.Media{
		Kind: "image", MIME: "image/png", Size: int64(len(data)), AltText: alt,
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
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

func TestConnect(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{})
	var creds mastodon.Credentials
	if err := json.Unmarshal(f.acct.Credentials, &creds); err != nil {
		t.Fatal(err)
	}
	if creds.AccountID == "" || creds.AccessToken != f.token || creds.InstanceURL != f.fake.URL {
		t.Errorf("credentials = %+v", creds)
	}
	if f.acct.Name != "alice" || !strings.HasSuffix(f.acct.ExternalID, "@"+strings.TrimPrefix(f.fake.URL, "http://")) {
		t.Errorf("account = %+v", f.acct)
	}

	tests := []struct {
		name     string
		in       string
		wantKind provider.ErrorKind
		wantMsg  string
	}{
		{name: "wrong token", in: `{"instanceUrl":"` + f.fake.URL + `","accessToken":"nope"}`, wantKind: provider.KindRejected, wantMsg: "The access token is invalid"},
		{name: "no token", in: `{"instanceUrl":"` + f.fake.URL + `"}`, wantKind: provider.KindRejected, wantMsg: "accessToken is required"},
		{name: "bad url", in: `{"instanceUrl":"ftp://x","accessToken":"a"}`, wantKind: provider.KindRejected, wantMsg: "instanceUrl must be an http(s) URL of a server"},
		{name: "not json", in: `[`, wantKind: provider.KindRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.p.Connect(context.Background(), json.RawMessage(tt.in))
			if kind(err) != tt.wantKind {
				t.Fatalf("kind = %v (%v), want %v", kind(err), err, tt.wantKind)
			}
			if tt.wantMsg != "" && message(err) != tt.wantMsg {
				t.Errorf("message = %q, want %q", message(err), tt.wantMsg)
			}
		})
	}
}

func TestNormalizeInstanceURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"mastodon.social":               "https://mastodon.social",
		"https://Mastodon.Social/@me":   "https://mastodon.social",
		" http://127.0.0.1:8080/ ":      "http://127.0.0.1:8080",
		"https://gts.example/api/v1/x?": "https://gts.example",
	} {
		got, err := mastodon.NormalizeInstanceURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeInstanceURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	t.Run("v2 instance", func(t *testing.T) {
		t.Parallel()
		f := setup(t, mastodonfake.Options{MaxCharacters: 5000, CharactersReservedPerURL: 30, MaxMediaAttachments: 6, ImageSizeLimit: 1000, VideoSizeLimit: 2000, SupportedMIMETypes: []string{"image/png", "video/mp4", "audio/ogg"}})
		r, err := f.p.Rules(context.Background(), f.acct)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{r.Network, r.MaxChars, r.MaxImages, r.MaxVideos, r.MixImagesAndVideos, r.ImageMaxBytes, r.VideoMaxBytes, r.ImageTypes, r.VideoTypes, r.Count("see https://example.com/x")}
		want := []any{"mastodon", 5000, 6, 1, false, int64(1000), int64(2000), []string{"image/png"}, []string{"video/mp4"}, 4 + 30}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rules (-want +got):\n%s", diff)
		}
	})
	t.Run("v1 fallback", func(t *testing.T) {
		t.Parallel()
		f := setup(t, mastodonfake.Options{NoV2Instance: true, MaxCharacters: 1000})
		r, err := f.p.Rules(context.Background(), f.acct)
		if err != nil || r.MaxChars != 1000 {
			t.Errorf("MaxChars = %d, %v; want 1000 from /api/v1/instance", r.MaxChars, err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		p := mastodon.New(mastodon.Config{}, srv.Client())
		r, err := p.InstanceRules(context.Background(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if r.MaxChars != 500 || r.MaxImages != 4 || r.Count("https://example.com/long/path") != 23 {
			t.Errorf("defaults = %d chars, %d images", r.MaxChars, r.MaxImages)
		}
	})
}

func TestPublishTextAndOptions(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{})
	req := &provider.PublishRequest{
		Key: "key-1", Text: "Hello #herald 🎉",
		Options: map[string]string{"visibility": "unlisted", "spoilerText": "cw", "language": "en", "sensitive": "true"},
	}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := f.fake.Status(pub.RemoteID)
	if !ok {
		t.Fatalf("status %s not on the server", pub.RemoteID)
	}
	got := []any{st.Text, st.Visibility, st.SpoilerText, st.Language, st.Sensitive, st.IdempotencyKey}
	want := []any{req.Text, "unlisted", "cw", "en", true, "key-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(pub.URL, f.fake.URL+"/@alice/") || pub.PublishedAt.IsZero() {
		t.Errorf("published = %+v", pub)
	}
}

func TestPublishMediaWaitsForProcessing(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{MediaProcessingPolls: 3})
	png := []byte("\x89PNG\r\n\x1a\nfake image bytes")
	req := &provider.PublishRequest{Key: "k", Text: "with pictures", Media: []provider.Media{image("a cat", png), image("", png)}}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.fake.Status(pub.RemoteID)
	if diff := cmp.Diff([]string{"a cat", ""}, st.MediaDescriptions); diff != "" {
		t.Errorf("alt texts (-want +got):\n%s", diff)
	}
	data, _, _ := f.fake.MediaData(st.MediaIDs[0])
	if !bytes.Equal(data, png) {
		t.Errorf("uploaded bytes differ")
	}
	// Each upload answered 202 and then 206 three times before 200.
	if n := f.fake.Requests("GET /api/v1/media/{id}"); n != 8 {
		t.Errorf("media polls = %d, want 8", n)
	}
}

func TestPublishMediaTimeout(t *testing.T) {
	t.Parallel()
	fake := mastodonfake.NewTest(t, mastodonfake.Options{MediaProcessingPolls: 1 << 30})
	_, tok := fake.CreateAccount("bob")
	p := mastodon.New(mastodon.Config{MediaPollInterval: time.Millisecond, MediaPollMax: 2 * time.Millisecond, MediaTimeout: 50 * time.Millisecond}, &http.Client{})
	acct, err := p.ConnectToken(context.Background(), fake.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), acct, &provider.PublishRequest{Key: "k", Text: "x", Media: []provider.Media{image("", []byte("\x89PNG\r\n\x1a\n"))}})
	if kind(err) != provider.KindTransient {
		t.Errorf("kind = %v (%v), want transient", kind(err), err)
	}
	if fake.CreatedCount("x") != 0 {
		t.Errorf("a status was created although media never finished")
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		route       string
		fault       mastodonfake.Fault
		text        string
		media       bool
		timeout     time.Duration
		revoke      bool
		wantKind    provider.ErrorKind
		wantMsg     string
		wantCreated int
	}{
		{name: "503 on create", route: "POST /api/v1/statuses", fault: mastodonfake.Fault{Kind: mastodonfake.FaultStatus, Status: 503}, wantKind: provider.KindOutcomeUnknown},
		{name: "502 after create", route: "POST /api/v1/statuses", fault: mastodonfake.Fault{Kind: mastodonfake.FaultStatusAfter}, wantKind: provider.KindOutcomeUnknown, wantCreated: 1},
		{name: "timeout before body read", route: "POST /api/v1/statuses", fault: mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutBefore}, timeout: 200 * time.Millisecond, wantKind: provider.KindOutcomeUnknown},
		{name: "timeout after processing", route: "POST /api/v1/statuses", fault: mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutAfter}, timeout: 200 * time.Millisecond, wantKind: provider.KindOutcomeUnknown, wantCreated: 1},
		{name: "malformed success", route: "POST /api/v1/statuses", fault: mastodonfake.Fault{Kind: mastodonfake.FaultMalformed}, wantKind: provider.KindOutcomeUnknown, wantCreated: 1},
		{name: "rate limited", route: "POST /api/v1/statuses", fault: mastodonfake.Fault{Kind: mastodonfake.FaultRateLimit, RetryAfter: time.Minute}, wantKind: provider.KindRateLimited, wantMsg: "Too many requests"},
		{name: "revoked token", revoke: true, wantKind: provider.KindUnauthorized, wantMsg: "The access token is invalid"},
		{name: "too long", text: strings.Repeat("a", 501), wantKind: provider.KindRejected, wantMsg: "Validation failed: Text character limit of 500 exceeded"},
		{name: "upload 503 is safe", route: "POST /api/v2/media", fault: mastodonfake.Fault{Kind: mastodonfake.FaultStatus, Status: 503}, media: true, wantKind: provider.KindTransient},
		{name: "upload timeout is safe", route: "POST /api/v2/media", fault: mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutAfter}, media: true, timeout: 200 * time.Millisecond, wantKind: provider.KindTransient},
		{name: "upload rate limited", route: "POST /api/v2/media", fault: mastodonfake.Fault{Kind: mastodonfake.FaultRateLimit}, media: true, wantKind: provider.KindRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, mastodonfake.Options{})
			if tt.route != "" {
				f.fake.InjectFault(tt.route, tt.fault)
			}
			if tt.revoke {
				f.fake.RevokeToken(f.token)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			text := tt.text
			if text == "" {
				text = "post " + tt.name
			}
			req := &provider.PublishRequest{Key: "k-" + tt.name, Text: text}
			if tt.media {
				req.Media = []provider.Media{image("", []byte("\x89PNG\r\n\x1a\n"))}
			}
			start := time.Now()
			_, err := f.p.Publish(ctx, f.acct, req)
			if kind(err) != tt.wantKind {
				t.Fatalf("kind = %v (%v), want %v", kind(err), err, tt.wantKind)
			}
			if tt.wantMsg != "" && message(err) != tt.wantMsg {
				t.Errorf("message = %q, want %q", message(err), tt.wantMsg)
			}
			if tt.wantKind == provider.KindRateLimited {
				var pe *provider.Error
				errors.As(err, &pe)
				if pe.RetryAt.Before(start.Add(20*time.Second)) || pe.RetryAt.After(start.Add(2*time.Minute)) {
					t.Errorf("RetryAt = %v, want about a minute or 30 s from now", pe.RetryAt)
				}
			}
			if got := f.fake.CreatedCount(text); got != tt.wantCreated {
				t.Errorf("created %d statuses, want %d", got, tt.wantCreated)
			}
		})
	}
}

func TestPublishUnreachableIsTransient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more: connection refused
	p := mastodon.New(mastodon.Config{}, &http.Client{})
	creds, _ := json.Marshal(mastodon.Credentials{InstanceURL: base, AccessToken: "t", AccountID: "1"})
	_, err := p.Publish(context.Background(), &provider.Account{Credentials: creds}, &provider.PublishRequest{Key: "k", Text: "hi"})
	if kind(err) != provider.KindTransient {
		t.Errorf("kind = %v (%v), want transient", kind(err), err)
	}
}

func TestRetryWithHonouredIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{})
	f.fake.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutAfter})
	req := &provider.PublishRequest{Key: "target-42", Text: "exactly once"}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := f.p.Publish(ctx, f.acct, req); kind(err) != provider.KindOutcomeUnknown {
		t.Fatalf("first attempt: %v, want outcome unknown", err)
	}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	statuses := f.fake.Statuses()
	if f.fake.CreatedCount(req.Text) != 1 || len(statuses) != 1 || statuses[0].ID != pub.RemoteID {
		t.Errorf("created %d, want the retry to return the first status", f.fake.CreatedCount(req.Text))
	}
}

func TestFindWhenIdempotencyKeyIgnored(t *testing.T) {
	t.Parallel()
	for _, source := range []bool{false, true} {
		name := "from html content"
		if source {
			name = "from source text"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, mastodonfake.Options{IgnoreIdempotencyKey: true, IncludeSourceText: source})
			text := "Hi @bob@other.example, see https://example.com/a/very/long/path/indeed?x=1&y=<2> #news\n\nSecond paragraph 日本語 " + "👨‍👩‍👧"
			req := &provider.PublishRequest{Key: "t-1", Text: text, ScheduledAt: time.Now(), Media: []provider.Media{image("alt", []byte("\x89PNG\r\n\x1a\n"))}}

			if _, err := f.p.Find(context.Background(), f.acct, req); !errors.Is(err, provider.ErrNotPublished) {
				t.Fatalf("Find before publishing = %v, want ErrNotPublished", err)
			}
			// Noise: an older unrelated status and one with the same text but no media.
			if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "other", Text: "unrelated"}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "other2", Text: text}); err != nil {
				t.Fatal(err)
			}

			f.fake.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutAfter})
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if _, err := f.p.Publish(ctx, f.acct, req); kind(err) != provider.KindOutcomeUnknown {
				t.Fatalf("attempt: %v, want outcome unknown", err)
			}
			found, err := f.p.Find(context.Background(), f.acct, req)
			if err != nil {
				t.Fatalf("Find: %v", err)
			}
			var withMedia mastodonfake.Status
			for _, st := range f.fake.Statuses() {
				if st.Text == text && len(st.MediaIDs) == 1 {
					withMedia = st
				}
			}
			if found.RemoteID != withMedia.ID {
				t.Errorf("Find = %s, want the status with media %s", found.RemoteID, withMedia.ID)
			}
			if n := f.fake.CreatedCount(text); n != 2 {
				t.Errorf("created %d with that text, want 2 (one without media, one with)", n)
			}
		})
	}
}

func TestFindWindow(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{IgnoreIdempotencyKey: true})
	if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "a", Text: "old news"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		scheduled time.Time
		text      string
		want      error
	}{
		{name: "status older than the window is not the attempt", scheduled: time.Now().Add(time.Hour), text: "old news", want: provider.ErrNotPublished},
		{name: "no scheduled time and no match", text: "never posted", want: provider.ErrCannotTell},
		{name: "match without scheduled time", text: "old news"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "x", Text: tt.text, ScheduledAt: tt.scheduled})
			if !errors.Is(err, tt.want) {
				t.Errorf("Find = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFindPaginates(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{IgnoreIdempotencyKey: true})
	start := time.Now()
	if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "a", Text: "the one"}); err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "n", Text: "noise " + strings.Repeat("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "a", Text: "the one", ScheduledAt: start})
	if err != nil || pub == nil {
		t.Fatalf("Find = %v, %v; want the status on the second page", pub, err)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := setup(t, mastodonfake.Options{})
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "d", Text: "to delete"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.fake.Status(pub.RemoteID); !st.Deleted {
		t.Error("status not deleted on the server")
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Errorf("deleting again = %v, want nil", err)
	}
	f.fake.RevokeToken(f.token)
	if err := f.p.Delete(context.Background(), f.acct, "123"); kind(err) != provider.KindUnauthorized {
		t.Errorf("delete with revoked token = %v, want unauthorized", err)
	}
}

func TestRefreshIsUnauthorized(t *testing.T) {
	t.Parallel()
	p := mastodon.New(mastodon.Config{}, nil)
	if err := p.Refresh(context.Background(), &provider.Account{}); kind(err) != provider.KindUnauthorized {
		t.Errorf("Refresh = %v, want unauthorized", err)
	}
}
