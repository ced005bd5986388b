package api_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/media"
	"github.com/heraldhq/herald/internal/safehttp"
)

// mediaOptions configure the fixture's media component.
type mediaOptions struct {
	allowPrivate bool
	limits       media.Limits
	quota        int64
}

// noDNS resolves no name: tests reach only the loopback servers they start,
// by IP literal, and never the network.
type noDNS struct{}

func (noDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// newTestMedia returns a media component over a local store in a
// temporary directory.
func newTestMedia(t testing.TB, o mediaOptions) *app.MediaService {
	t.Helper()
	dir := t.TempDir()
	blobs, err := media.NewLocalStore(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	fetcher := media.NewFetcher(media.FetcherConfig{Policy: safehttp.AddressPolicy{AllowPrivateNetworks: o.allowPrivate}, Resolver: noDNS{},
		ConnectTimeout: 2 * time.Second, Timeout: 10 * time.Second})
	return app.NewMediaService(app.MediaConfig{Store: blobs, Fetcher: fetcher, Limits: o.limits, TempDir: dir, Quota: o.quota, GCAge: 24 * time.Hour})
}

// setupMedia is setup with its own media options.
func setupMedia(t testing.TB, o mediaOptions) *fixture {
	t.Helper()
	return setup(t, 1000, withMedia(newTestMedia(t, o)))
}

// fileServer serves files for mediaUrls and counts the requests.
type fileServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]servedFile
	hits  map[string]int
}

type servedFile struct {
	body     []byte
	status   int
	location string
}

func newFileServer(t testing.TB) *fileServer {
	s := &fileServer{files: map[string]servedFile{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f, ok := s.files[r.URL.Path]
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		switch {
		case !ok:
			http.NotFound(w, r)
		case f.location != "":
			http.Redirect(w, r, f.location, http.StatusFound)
		case f.status != 0:
			w.WriteHeader(f.status)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(f.body)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// put serves body at path and returns its URL.
func (s *fileServer) put(path string, body []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = servedFile{body: body}
	return s.URL + path
}

func (s *fileServer) serve(path string, f servedFile) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = f
	return s.URL + path
}

func (s *fileServer) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// pngOf encodes a w×h gradient as PNG: a few kilobytes whatever its size.
func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	return encodePNG(t, w, h, func(x, y int) color.NRGBA {
		return color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255}
	})
}

// noisyPNGOf encodes w×h pixels of noise as PNG: about 3 bytes a pixel, like
// a photograph.
func noisyPNGOf(t testing.TB, w, h int) []byte {
	t.Helper()
	s := uint32(w*7919 + h)
	return encodePNG(t, w, h, func(x, y int) color.NRGBA {
		s = s*1664525 + 1013904223
		return color.NRGBA{uint8(s >> 24), uint8(s >> 16), uint8(s >> 8), 255}
	})
}

func encodePNG(t testing.TB, w, h int, at func(x, y int) color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, at(x, y))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func clipMP4(t testing.TB) []byte {
	t.Helper()
	// A 3 s, 640×360 H.264 + AAC MP4 made by internal/media's test helper
	// makeMP4 (mp4Spec{brand: "isom", frames: 90, audio: true, mdat: 2048}).
	b, err := os.ReadFile("testdata/media/clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload sends a multipart POST /media; altAfter puts altText after the file.
func (f *fixture) upload(t testing.TB, name string, body []byte, alt string, altAfter bool) (int, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	writeAlt := func() {
		if alt != "" {
			mw.WriteField("altText", alt)
		}
	}
	if !altAfter {
		writeAlt()
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	if altAfter {
		writeAlt()
	}
	mw.Close()
	status, resp, _ := f.request(t, true, "POST", base+"/media?workspaceId="+f.ws, f.key, b.Bytes(), "Content-Type", mw.FormDataContentType())
	return status, resp
}

type mediaBody struct {
	ID        string  `json:"id"`
	URL       string  `json:"url"`
	MIME      string  `json:"mime"`
	Kind      string  `json:"kind"`
	Size      int64   `json:"size"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Duration  float64 `json:"duration"`
	Frames    int     `json:"frames"`
	AltText   string  `json:"altText"`
	FileName  string  `json:"fileName"`
	SourceURL string  `json:"sourceUrl"`
}

// public requests a public media URL without an API key; it is not an API
// route, so the answer is not recorded for the OpenAPI check.
func (f *fixture) public(t testing.TB, method, url string, header ...string) (int, []byte, http.Header) {
	t.Helper()
	return f.request(t, false, method, strings.TrimPrefix(url, "https://herald.test"), "", nil, header...)
}

func message(t testing.TB, b []byte) string {
	t.Helper()
	return decode[map[string]any](t, b)["message"].(string)
}

func (f *fixture) postOf(t testing.TB, id string) *herald.Post {
	t.Helper()
	p, err := f.store.FindPostByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMediaURLsAreDownloadedStoredAndServed(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{allowPrivate: true})
	srv := newFileServer(t)
	pic, clip := pngOf(t, 640, 480), clipMP4(t)
	urls := []string{srv.put("/a.png", pic), srv.put("/b.mp4", clip)}
	ws := "?workspaceId=" + f.ws

	created := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "Hi", "mediaUrls": urls}, 201))
	p := f.postOf(t, created["id"])
	if len(p.Media) != 2 {
		t.Fatalf("post media = %+v", p.Media)
	}
	for i, want := range []struct {
		mime, kind string
		body       []byte
	}{{"image/png", "image", pic}, {"video/mp4", "video", clip}} {
		m := p.Media[i]
		mu := f.app.PostMediaURL(m)
		if m.MediaID == "" || m.SourceURL != urls[i] || m.MIME != want.mime || m.Kind != want.kind || !strings.HasPrefix(mu, "https://herald.test/media/"+m.MediaID+".") {
			t.Errorf("media[%d] = %+v (%s)", i, m, mu)
		}
		status, body, h := f.public(t, "GET", mu)
		if status != 200 || !bytes.Equal(body, want.body) || h.Get("Content-Type") != want.mime || h.Get("Cache-Control") == "" {
			t.Errorf("GET %s = %d, %d bytes, %q", mu, status, len(body), h.Get("Content-Type"))
		}
	}
	// The creatives of the post group are the public URLs.
	g := decode[map[string]any](t, f.ok("GET", base+"/post/"+p.ID, nil, 200))
	creatives := g["posts"].([]any)[0].(map[string]any)["creatives"].([]any)
	if diff := cmp.Diff([]any{map[string]any{"image": f.app.PostMediaURL(p.Media[0])}, map[string]any{"video": f.app.PostMediaURL(p.Media[1])}}, creatives); diff != "" {
		t.Errorf("creatives (-want +got):\n%s", diff)
	}

	// The public URL answers HEAD and ranges, without an API key.
	u := f.app.PostMediaURL(p.Media[0])
	status, body, h := f.public(t, "HEAD", u)
	if status != 200 || len(body) != 0 || h.Get("Content-Length") != fmt.Sprint(len(pic)) || h.Get("Accept-Ranges") != "bytes" {
		t.Errorf("HEAD = %d, Content-Length %q, Accept-Ranges %q", status, h.Get("Content-Length"), h.Get("Accept-Ranges"))
	}
	status, body, h = f.public(t, "GET", u, "Range", "bytes=8-15")
	if status != 206 || !bytes.Equal(body, pic[8:16]) || h.Get("Content-Range") != fmt.Sprintf("bytes 8-15/%d", len(pic)) {
		t.Errorf("Range = %d %q %q", status, body, h.Get("Content-Range"))
	}
	for _, bad := range []string{
		strings.TrimSuffix(u, ".png") + ".jpg", // the wrong extension
		"https://herald.test/media/cnope.png",
		"https://herald.test/media/..png",
	} {
		if status, _, _ := f.public(t, "GET", bad); status != 404 {
			t.Errorf("GET %s = %d, want 404", bad, status)
		}
	}

	// A URL of a stored file is taken without downloading again.
	before := srv.hitsOf("/a.png")
	f.ok("POST", base+"/post"+ws, map[string]any{"caption": "Again", "mediaUrls": []string{u}}, 201)
	if got := srv.hitsOf("/a.png"); got != before {
		t.Errorf("the Herald URL was downloaded again (%d requests, want %d)", got, before)
	}
	// The same file downloaded again is stored once in the library.
	f.ok("POST", base+"/post/validate"+ws, map[string]any{"caption": "Once more", "mediaUrls": urls[:1]}, 200)
	lib := decode[[]mediaBody](t, f.ok("GET", base+"/media"+ws, nil, 200))
	if len(lib) != 2 {
		t.Errorf("library = %d files, want 2 (the PNG once): %+v", len(lib), lib)
	}

	// PATCH downloads new mediaUrls and keeps the post's files otherwise.
	third := srv.put("/c.png", pngOf(t, 320, 200))
	f.ok("PATCH", base+"/post/"+p.ID, map[string]any{"mediaUrls": []string{third}}, 200)
	p2 := f.postOf(t, p.ID)
	if len(p2.Media) != 1 || p2.Media[0].SourceURL != third || p2.Media[0].MediaID == p.Media[0].MediaID {
		t.Errorf("after PATCH media = %+v", p2.Media)
	}
	f.ok("PATCH", base+"/post/"+p.ID, map[string]any{"caption": "Changed"}, 200)
	if p3 := f.postOf(t, p.ID); !cmp.Equal(p3.Media, p2.Media) {
		t.Errorf("PATCH of the caption changed the media: %+v", p3.Media)
	}
}

func TestMediaURLErrorsNameTheURLAndTheReason(t *testing.T) {
	t.Parallel()
	srv := newFileServer(t)
	pic := srv.put("/a.png", pngOf(t, 64, 64))
	big := srv.put("/big.png", noisyPNGOf(t, 200, 200))
	html := srv.put("/page.png", []byte("<!doctype html><html><body>not an image</body></html>"))
	missing := srv.URL + "/missing.png"
	inside := srv.serve("/redirect.png", servedFile{location: "http://127.0.0.1:1/secret.png"})
	f := setupMedia(t, mediaOptions{allowPrivate: true, limits: media.Limits{ImageMaxBytes: 20_000}})
	closed := setupMedia(t, mediaOptions{})
	ws := "?workspaceId=" + f.ws
	tests := []struct {
		name    string
		f       *fixture
		urls    []string
		status  int
		message string
	}{
		{"private address refused by default", closed, []string{pic}, 400, "mediaUrls[0]: " + pic + ": Herald does not connect to 127.0.0.1 (loopback) because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
		{"too large", f, []string{pic, big}, 400, "mediaUrls[1]: " + big + ": too large"},
		{"not an allowed type", f, []string{html}, 400, "mediaUrls[0]: " + html + ": not an allowed type: found text/html"},
		{"not found", f, []string{missing}, 400, "mediaUrls[0]: " + missing + ": the server answered 404 Not Found"},
		{"a name that does not resolve", f, []string{"https://cdn.example/a.png"}, 400, "mediaUrls[0]: https://cdn.example/a.png: unreachable"},
		{"redirect refused when private addresses are", closed, []string{inside}, 400, "mediaUrls[0]: " + inside + ": Herald does not connect to 127.0.0.1 (loopback)"},
		{"unknown Herald URL", f, []string{"https://herald.test/media/cnope.png"}, 400, "mediaUrls[0]: https://herald.test/media/cnope.png: no such media on this Herald"},
		{"not http", f, []string{"ftp://x/a.png"}, 400, "mediaUrls[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/post", "/post/validate"} {
				status, body, _ := tc.f.request(t, true, "POST", base+path+"?workspaceId="+tc.f.ws, tc.f.key, map[string]any{"caption": "x", "mediaUrls": tc.urls})
				if status != tc.status || !strings.Contains(message(t, body), tc.message) {
					t.Errorf("POST %s = %d %s, want %d with %q", path, status, body, tc.status, tc.message)
				}
			}
		})
	}
	// Nothing was stored for the refused post but the good file.
	if lib := decode[[]mediaBody](t, f.ok("GET", base+"/media"+ws, nil, 200)); len(lib) != 1 {
		t.Errorf("library = %+v, want only the good file", lib)
	}
}

func TestMediaRulesPerNetwork(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{allowPrivate: true, limits: media.Limits{ImageMaxBytes: 20 << 20}})
	srv := newFileServer(t)
	ws := "?workspaceId=" + f.ws
	insta, sky, masto := f.profile("instagram", "ada.insta"), f.profile("bluesky", "ada.bsky.social"), f.profile("mastodon", "@ada@example.social")
	photo := srv.put("/photo.png", pngOf(t, 600, 480))
	wide := srv.put("/wide.png", pngOf(t, 1600, 900))
	thin := srv.put("/thin.png", pngOf(t, 2100, 300))
	banner := srv.put("/banner.png", pngOf(t, 900, 300))

	// filesFor returns what each target of the post gets: type, size as
	// displayed, and the type sniffed from the bytes Open gives.
	filesFor := func(id string) map[string][]string {
		t.Helper()
		p := f.postOf(t, id)
		got := map[string][]string{}
		for _, tg := range p.Targets {
			ms, err := f.app.TargetMedia(context.Background(), p, tg)
			if err != nil {
				t.Fatalf("TargetMedia %s: %v", tg.Provider, err)
			}
			for _, m := range ms {
				rc, err := m.Open(context.Background())
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				head := make([]byte, 512)
				n, _ := rc.Read(head)
				rc.Close()
				sniffed, _ := media.Sniff(head[:n])
				got[tg.Provider] = append(got[tg.Provider], fmt.Sprintf("%s %dx%d %s", m.MIME, m.Width, m.Height, sniffed))
				if status, _, h := f.public(t, "HEAD", m.URL); status != 200 || h.Get("Content-Type") != m.MIME || h.Get("Content-Length") != fmt.Sprint(m.Size) {
					t.Errorf("%s: HEAD %s = %d %q %q", tg.Provider, m.URL, status, h.Get("Content-Type"), h.Get("Content-Length"))
				}
			}
		}
		return got
	}

	// Instagram takes JPEG only, at most 1440 px wide: a JPEG copy is made
	// for it, the PNG is kept for the others.
	id := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "Rules", "mediaUrls": []string{photo, wide},
		"socialProfileIds": []string{insta, masto}, "scheduledAt": "2026-07-02T09:00:00Z"}, 201))["id"]
	want := map[string][]string{
		"instagram": {"image/jpeg 600x480 image/jpeg", "image/jpeg 1440x810 image/jpeg"},
		"mastodon":  {"image/png 600x480 image/png", "image/png 1600x900 image/png"},
	}
	if diff := cmp.Diff(want, filesFor(id)); diff != "" {
		t.Errorf("files per network (-want +got):\n%s", diff)
	}
	// Bluesky takes 2000 px at most: a smaller copy.
	id = decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "Sky", "mediaUrls": []string{photo, thin},
		"socialProfileIds": []string{sky}}, 201))["id"]
	want = map[string][]string{"bluesky": {"image/png 600x480 image/png", "image/png 2000x285 image/png"}}
	if diff := cmp.Diff(want, filesFor(id)); diff != "" {
		t.Errorf("files per network (-want +got):\n%s", diff)
	}
	// Derived copies are not in the library.
	if lib := decode[[]mediaBody](t, f.ok("GET", base+"/media"+ws, nil, 200)); len(lib) != 3 {
		t.Errorf("library = %d files, want the 3 originals", len(lib))
	}

	// A rule no copy can fix is a 400 naming the network and the rule.
	for _, tc := range []struct {
		name     string
		body     map[string]any
		messages []string
	}{
		{"shape", map[string]any{"caption": "x", "mediaUrls": []string{banner}, "socialProfileIds": []string{masto, insta}},
			[]string{"instagram: mediaUrls[0] (" + banner + "): the image's shape (width ÷ height = 3.00) is outside the allowed range 0.80 (4:5) to 1.91"}},
		{"media required", map[string]any{"caption": "text only", "socialProfileIds": []string{insta}},
			[]string{"instagram: mediaUrls: a post needs at least one image or video"}},
		{"count", map[string]any{"caption": "x", "mediaUrls": []string{photo, photo, photo, photo, photo}, "socialProfileIds": []string{sky}},
			[]string{"bluesky: mediaUrls: at most 4 images per post (this post has 5)"}},
	} {
		for _, path := range []string{"/post", "/post/validate"} {
			status, body, _ := f.do("POST", base+path+ws, f.key, tc.body)
			for _, msg := range tc.messages {
				if status != 400 || !strings.Contains(message(t, body), msg) {
					t.Errorf("%s: POST %s = %d %s, want 400 with %q", tc.name, path, status, body, msg)
				}
			}
		}
	}
	// Adding a network to a post checks its files against that network.
	draft := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "x", "mediaUrls": []string{banner}, "socialProfileIds": []string{masto}}, 201))["id"]
	status, body, _ := f.do("PATCH", base+"/post/"+draft, f.key, map[string]any{"socialProfileIds": []string{masto, insta}})
	if status != 400 || !strings.Contains(message(t, body), "instagram: mediaUrls[0]") {
		t.Errorf("PATCH adding instagram = %d %s", status, body)
	}
}

func TestMediaLibrary(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{limits: media.Limits{ImageMaxBytes: 50_000}})
	ws := "?workspaceId=" + f.ws
	pic := pngOf(t, 300, 200)

	status, body := f.upload(t, "photo.png", pic, "A gradient", false)
	if status != 201 {
		t.Fatalf("upload = %d %s", status, body)
	}
	up := decode[mediaBody](t, body)
	want := mediaBody{ID: up.ID, URL: "https://herald.test/media/" + up.ID + ".png", MIME: "image/png", Kind: "image", Size: int64(len(pic)), Width: 300, Height: 200,
		Frames: 1, AltText: "A gradient", FileName: "photo.png"}
	if diff := cmp.Diff(want, up); diff != "" {
		t.Errorf("upload (-want +got):\n%s", diff)
	}
	// The library lists the newest first; this one sends its alt text
	// after the file.
	f.clock.Add(time.Second)
	status, body = f.upload(t, "clip.mp4", clipMP4(t), "Waves", true)
	if status != 201 {
		t.Fatalf("upload video = %d %s", status, body)
	}
	vid := decode[mediaBody](t, body)
	if vid.Kind != "video" || vid.Duration != 3 || vid.Width != 640 || vid.AltText != "Waves" {
		t.Errorf("video = %+v", vid)
	}
	if st, b, _ := f.public(t, "GET", up.URL); st != 200 || !bytes.Equal(b, pic) {
		t.Errorf("public GET of the upload = %d", st)
	}

	lib := decode[[]mediaBody](t, f.ok("GET", base+"/media"+ws, nil, 200))
	if len(lib) != 2 || lib[0].ID != vid.ID || lib[1].ID != up.ID {
		t.Errorf("library = %+v, want the video then the image", lib)
	}
	if page := decode[[]mediaBody](t, f.ok("GET", base+"/media"+ws+"&page=1&perPage=1", nil, 200)); len(page) != 1 || page[0].ID != up.ID {
		t.Errorf("page 1 = %+v", page)
	}
	if got := decode[mediaBody](t, f.ok("GET", base+"/media/"+up.ID, nil, 200)); got.ID != up.ID {
		t.Errorf("GET /media/{id} = %+v", got)
	}
	if got := decode[mediaBody](t, f.ok("PATCH", base+"/media/"+up.ID, map[string]any{"altText": "New words"}, 200)); got.AltText != "New words" {
		t.Errorf("PATCH altText = %q", got.AltText)
	}

	// The upload's URL is usable in mediaUrls (private addresses are off
	// here, and a download would be refused).
	id := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "x", "mediaUrls": []string{up.URL},
		"socialProfileIds": []string{f.profile("mastodon", "@a@b.c")}, "scheduledAt": "2026-07-02T09:00:00Z"}, 201))["id"]
	p := f.postOf(t, id)
	if len(p.Media) != 1 || p.Media[0].MediaID != up.ID || p.Media[0].AltText != "New words" {
		t.Errorf("post media = %+v", p.Media)
	}
	status, body, _ = f.do("DELETE", base+"/media/"+up.ID, f.key, nil)
	if status != 409 || !strings.Contains(message(t, body), "is used by post \""+id+"\" (SCHEDULED)") {
		t.Errorf("DELETE of media in use = %d %s", status, body)
	}
	f.ok("DELETE", base+"/post/"+id, nil, 200)
	f.ok("DELETE", base+"/media/"+up.ID, nil, 200)
	if st, _, _ := f.do("GET", base+"/media/"+up.ID, f.key, nil); st != 404 {
		t.Errorf("GET of deleted media = %d", st)
	}
	if st, _, _ := f.public(t, "GET", up.URL); st != 404 {
		t.Errorf("public GET of deleted media = %d", st)
	}

	multipartOf := func(fields ...string) ([]byte, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for i := 0; i+1 < len(fields); i += 2 {
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return b.Bytes(), mw.FormDataContentType()
	}
	noFile, noFileType := multipartOf("altText", "x")
	unknown, unknownType := multipartOf("title", "x")
	for _, tc := range []struct {
		name    string
		body    []byte
		ctype   string
		status  int
		message string
	}{
		{"JSON", []byte(`{}`), "application/json", 400, "Content-Type: must be multipart/form-data"},
		{"no file", noFile, noFileType, 400, "file: is required"},
		{"unknown field", unknown, unknownType, 400, "title: unknown field"},
	} {
		st, b, _ := f.do("POST", base+"/media"+ws, f.key, tc.body, "Content-Type", tc.ctype)
		if st != tc.status || !strings.Contains(message(t, b), tc.message) {
			t.Errorf("%s: POST /media = %d %s", tc.name, st, b)
		}
	}
	for _, tc := range []struct {
		name, file string
		body       []byte
		message    string
	}{
		{"too large", "big.png", noisyPNGOf(t, 200, 200), "file: big.png: too large"},
		{"not media", "notes.png", []byte("just some text, not an image at all"), "file: notes.png: not an allowed type"},
		{"truncated", "cut.png", pic[:len(pic)/2], "file: cut.png: "},
	} {
		st, b := f.upload(t, tc.file, tc.body, "", false)
		if st != 400 || !strings.Contains(message(t, b), tc.message) {
			t.Errorf("%s: upload = %d %s, want 400 with %q", tc.name, st, b, tc.message)
		}
	}
	// Another workspace's member cannot see the file.
	other, err := f.app.Init(context.Background(), app.InitParams{Email: "other@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _, _ := f.do("GET", base+"/media/"+vid.ID, other.APIKey, nil); st != 404 {
		t.Errorf("GET of another workspace's media = %d", st)
	}
	if st, _, _ := f.do("DELETE", base+"/media/"+vid.ID, other.APIKey, nil); st != 404 {
		t.Errorf("DELETE of another workspace's media = %d", st)
	}
}

func TestMediaQuota(t *testing.T) {
	t.Parallel()
	pic := pngOf(t, 200, 200)
	f := setupMedia(t, mediaOptions{allowPrivate: true, quota: int64(len(pic)) + 100})
	srv := newFileServer(t)
	if st, b := f.upload(t, "a.png", pic, "", false); st != 201 {
		t.Fatalf("first upload = %d %s", st, b)
	}
	st, b := f.upload(t, "b.png", pngOf(t, 201, 200), "", false)
	if st != 413 || !strings.Contains(message(t, b), "file: b.png: the workspace's media storage is full") {
		t.Errorf("upload over the quota = %d %s", st, b)
	}
	u := srv.put("/c.png", noisyPNGOf(t, 50, 50))
	st, b, _ = f.do("POST", base+"/post?workspaceId="+f.ws, f.key, map[string]any{"caption": "x", "mediaUrls": []string{u}})
	if st != 413 || !strings.Contains(message(t, b), "mediaUrls[0]: "+u+": the workspace's media storage is full") {
		t.Errorf("post over the quota = %d %s", st, b)
	}
	// The same bytes again take no room.
	f.ok("POST", base+"/post?workspaceId="+f.ws, map[string]any{"caption": "x", "mediaUrls": []string{srv.put("/a.png", pic)}}, 201)
}

func TestMediaGarbageCollection(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{})
	ctx := context.Background()
	blobs := f.app.Media().Config().Store
	ws := "?workspaceId=" + f.ws
	uploadOne := func(w int) (mediaBody, string) {
		t.Helper()
		st, b := f.upload(t, "x.png", pngOf(t, w, 10), "", false)
		if st != 201 {
			t.Fatalf("upload = %d %s", st, b)
		}
		m := decode[mediaBody](t, b)
		row, err := f.store.FindMediaByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m, row.SHA256
	}
	stored := func(sha string) bool {
		t.Helper()
		_, err := blobs.Stat(ctx, sha)
		if err != nil && err != media.ErrNotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	collect := func() app.MediaGCResult {
		t.Helper()
		res, err := f.app.CollectMedia(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	used, usedSHA := uploadOne(10)
	unused, unusedSHA := uploadOne(11)
	released, releasedSHA := uploadOne(12)
	deleted, deletedSHA := uploadOne(13)
	f.ok("POST", base+"/post"+ws, map[string]any{"caption": "keeps it", "mediaUrls": []string{used.URL}}, 201)
	gone := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "lets go", "mediaUrls": []string{released.URL}}, 201))["id"]

	// A deleted file's blob waits for the grace time after it was stored,
	// in case the same bytes are being stored again right now.
	f.ok("DELETE", base+"/media/"+deleted.ID, nil, 200)
	if res := collect(); res != (app.MediaGCResult{}) || !stored(deletedSHA) {
		t.Errorf("collection of young media = %+v; deleted file's blob stored: %v", res, stored(deletedSHA))
	}
	f.clock.Add(2 * time.Hour)
	if res := collect(); res != (app.MediaGCResult{Blobs: 1}) || stored(deletedSHA) {
		t.Errorf("collection after the grace time = %+v, want the deleted file's blob", res)
	}

	// Unused files go GCAge (24 h here) after a post last stopped using
	// them; files in use stay.
	f.clock.Add(21 * time.Hour)
	f.ok("DELETE", base+"/post/"+gone, nil, 200) // released now
	f.clock.Add(2 * time.Hour)
	if res := collect(); res != (app.MediaGCResult{Media: 1, Blobs: 1}) || stored(unusedSHA) {
		t.Errorf("collection a day later = %+v, want the unused file and its blob", res)
	}
	if !stored(releasedSHA) || !stored(usedSHA) {
		t.Errorf("blobs of the released file (%v) and of the used one (%v) must stay", stored(releasedSHA), stored(usedSHA))
	}
	f.clock.Add(24 * time.Hour)
	if res := collect(); res != (app.MediaGCResult{Media: 1, Blobs: 1}) || stored(releasedSHA) {
		t.Errorf("collection a day after the release = %+v, want the released file and its blob", res)
	}
	lib := decode[[]mediaBody](t, f.ok("GET", base+"/media"+ws, nil, 200))
	if len(lib) != 1 || lib[0].ID != used.ID || !stored(usedSHA) {
		t.Errorf("library after collection = %+v, want only the used file", lib)
	}
	if st, _, _ := f.public(t, "GET", used.URL); st != 200 {
		t.Errorf("used file = %d", st)
	}
	if st, _, _ := f.public(t, "GET", unused.URL); st != 404 {
		t.Errorf("collected file = %d", st)
	}
}

func TestMediaCollectorStartStop(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{})
	st, b := f.upload(t, "x.png", pngOf(t, 10, 10), "", false)
	if st != 201 {
		t.Fatalf("upload = %d %s", st, b)
	}
	m := decode[mediaBody](t, b)
	f.clock.Add(48 * time.Hour)
	c := f.app.NewMediaCollector(time.Millisecond)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := f.store.FindMediaByID(context.Background(), m.ID); herald.ErrorCode(err) == herald.ENOTFOUND {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the collector did not collect the old unused file")
		}
		time.Sleep(5 * time.Millisecond) // polling the store: the collector reports to no one
	}
	c.Stop()
	c.Stop() // idempotent
}

// TestDeletedMediaLeavesPublishedPosts: a file that only published posts
// use may be deleted, and those posts then no longer name it (their media
// were also kept in a JSON column that went on naming deleted files).
func TestDeletedMediaLeavesPublishedPosts(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{})
	ctx := context.Background()
	ws := "?workspaceId=" + f.ws
	var files []mediaBody
	for i, alt := range []string{"kept", "deleted", "also kept"} {
		st, b := f.upload(t, "x.png", pngOf(t, 10+i, 10), alt, false)
		if st != 201 {
			t.Fatalf("upload = %d %s", st, b)
		}
		files = append(files, decode[mediaBody](t, b))
	}
	id := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "x",
		"mediaUrls": []string{files[0].URL, files[1].URL, files[2].URL}}, 201))["id"]
	p := f.postOf(t, id)
	p.Status = herald.StatusPosted
	if err := f.store.UpdatePost(ctx, p); err != nil {
		t.Fatal(err)
	}

	f.ok("DELETE", base+"/media/"+files[1].ID, nil, 200)
	got := f.postOf(t, id)
	want := []herald.PostMedia{
		{MediaID: files[0].ID, SourceURL: files[0].URL, Kind: "image", MIME: "image/png", AltText: "kept"},
		{MediaID: files[2].ID, SourceURL: files[2].URL, Kind: "image", MIME: "image/png", AltText: "also kept"},
	}
	if diff := cmp.Diff(want, got.Media); diff != "" {
		t.Errorf("post media after the file was deleted (-want +got):\n%s", diff)
	}
	g := decode[map[string]any](t, f.ok("GET", base+"/post/"+id, nil, 200))
	creatives := g["posts"].([]any)[0].(map[string]any)["creatives"].([]any)
	if diff := cmp.Diff([]any{map[string]any{"image": files[0].URL}, map[string]any{"image": files[2].URL}}, creatives); diff != "" {
		t.Errorf("creatives after the file was deleted (-want +got):\n%s", diff)
	}
}

func TestMediaOfAnOlderPostIsStoredWhenItChanges(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{allowPrivate: true})
	srv := newFileServer(t)
	u := srv.put("/old.png", pngOf(t, 40, 30))
	// A post saved before Herald stored files names only the source URL.
	now := f.clock.Now()
	u0, err := f.store.FindMembers(context.Background(), f.ws)
	if err != nil || len(u0) == 0 {
		t.Fatalf("members: %v", err)
	}
	p := &herald.Post{ID: herald.NewID(), WorkspaceID: f.ws, CreatedBy: u0[0].UserID, PostType: herald.PostTypeRegular, Status: herald.StatusDraft,
		Caption: "old", Media: []herald.PostMedia{{SourceURL: u}}, CreatedAt: now, UpdatedAt: now, Targets: []*herald.PostTarget{}}
	if err := f.store.CreatePost(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	f.ok("PATCH", base+"/post/"+p.ID, map[string]any{"caption": "new"}, 200)
	got := f.postOf(t, p.ID)
	if len(got.Media) != 1 || got.Media[0].MediaID == "" || got.Media[0].SourceURL != u || got.Media[0].MIME != "image/png" {
		t.Fatalf("media after the change = %+v", got.Media)
	}
	uses, err := f.store.FindMediaUses(context.Background(), got.Media[0].MediaID)
	if err != nil || len(uses) != 1 || uses[0].PostID != p.ID {
		t.Errorf("the post does not hold its file: %v %v", uses, err)
	}
}
