package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/safehttp"
)

var devPolicy = safehttp.AddressPolicy{AllowPrivateNetworks: true}

func setupIngester(t testing.TB, limits Limits) (*Ingester, Store) {
	t.Helper()
	store := newLocalStore(t)
	in := NewIngester(IngesterConfig{
		Store:   store,
		Fetcher: NewFetcher(FetcherConfig{Policy: devPolicy, Timeout: 30 * time.Second}),
		Limits:  limits,
		TempDir: t.TempDir(),
	})
	return in, store
}

func TestIngestURL(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"/a.png":  makePNG(t, 40, 30),
		"/b.jpg":  withEXIFOrientation(makeJPEG(t, 40, 30), 8, false),
		"/c.gif":  makeGIF(t, 10, 10, 3),
		"/d.webp": readTestdata(t, "blue-purple-pink.lossy.webp"),
		"/e.mp4":  makeMP4(t, mp4Spec{brand: "isom", audio: true, mdat: 100_000}),
		"/f.mov":  makeMP4(t, mp4Spec{brand: "qt  ", mdat: 1000}),
		// The type comes from the bytes, whatever the name and header say.
		"/lie.jpg": makePNG(t, 5, 5),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(files[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	in, store := setupIngester(t, Limits{VideoMaxBytes: 1 << 20})
	tests := []struct {
		path string
		want Info
	}{
		{"/a.png", Info{MIME: MIMEPNG, Kind: KindImage, Width: 40, Height: 30, Frames: 1}},
		{"/b.jpg", Info{MIME: MIMEJPEG, Kind: KindImage, Width: 30, Height: 40, Frames: 1, Orientation: 8}},
		{"/c.gif", Info{MIME: MIMEGIF, Kind: KindImage, Width: 10, Height: 10, Frames: 3}},
		{"/d.webp", Info{MIME: MIMEWebP, Kind: KindImage, Width: 150, Height: 100, Frames: 1}},
		{"/e.mp4", Info{MIME: MIMEMP4, Kind: KindVideo, Width: 640, Height: 360, Frames: 60, Duration: 2 * time.Second, FPS: 30, VideoCodec: "avc1.64001f", AudioCodec: "mp4a.40.2"}},
		{"/f.mov", Info{MIME: MIMEQuickTime, Kind: KindVideo, Width: 640, Height: 360, Frames: 60, Duration: 2 * time.Second, FPS: 30, VideoCodec: "avc1.64001f"}},
		{"/lie.jpg", Info{MIME: MIMEPNG, Kind: KindImage, Width: 5, Height: 5, Frames: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got, err := in.IngestURL(context.Background(), srv.URL+tt.path)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.SHA256 = sum(files[tt.path])
			want.Size = int64(len(files[tt.path]))
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Info mismatch (-want +got):\n%s", diff)
			}
			rc, _, err := store.Open(context.Background(), got.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			stored, _ := io.ReadAll(rc)
			if !bytes.Equal(stored, files[tt.path]) {
				t.Error("stored bytes differ from the download")
			}
		})
	}
}

func TestIngestReader(t *testing.T) {
	t.Parallel()
	in, store := setupIngester(t, Limits{})
	png := makePNG(t, 8, 8)
	info, err := in.IngestReader(context.Background(), "photo.png", onlyReader{bytes.NewReader(png)})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != sum(png) || info.MIME != MIMEPNG {
		t.Errorf("Info = %+v", info)
	}
	// The same upload again is stored once.
	again, err := in.IngestReader(context.Background(), "copy.png", bytes.NewReader(png))
	if err != nil || again.SHA256 != info.SHA256 {
		t.Fatalf("second ingest = %+v, %v", again, err)
	}
	if _, err := store.Stat(context.Background(), info.SHA256); err != nil {
		t.Fatal(err)
	}

	_, err = in.IngestReader(context.Background(), "notes.txt", strings.NewReader("just some text, not a picture"))
	wantCode(t, err, CodeUnsupportedType, "media notes.txt: not an allowed type: found text/plain")

	_, err = in.IngestReader(context.Background(), "broken.png", bytes.NewReader(png[:40]))
	wantCode(t, err, CodeMalformed, "media broken.png: not a valid PNG image: truncated")

	boom := errors.New("client went away")
	big := encodePNG(t, noise(64, 64, 2))
	_, err = in.IngestReader(context.Background(), "dropped.png", io.MultiReader(bytes.NewReader(big[:len(big)/2]), &failingReader{boom}))
	if !errors.Is(err, boom) || CodeOf(err) != "" {
		t.Errorf("dropped upload = %v, want the reader's error, not a media *Error", err)
	}
}

func TestIngestLimits(t *testing.T) {
	t.Parallel()
	bigPNG := encodePNG(t, noise(64, 64, 1)) // ~16 KB
	gif := makeGIF(t, 64, 64, 4)
	mp4 := makeMP4(t, mp4Spec{brand: "isom", mdat: 40_000})
	hugePNG := makePNG(t, 3000, 3000) // small file, 9 megapixels
	limits := Limits{ImageMaxBytes: 10_000, GIFMaxBytes: 100_000, VideoMaxBytes: 50_000, MaxPixels: 4_000_000}
	files := map[string][]byte{"/big.png": bigPNG, "/anim.gif": gif, "/clip.mp4": mp4, "/huge.png": hugePNG}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := files[r.URL.Path]
		if r.URL.Query().Has("chunked") {
			// No Content-Length: the cap must be enforced while streaming.
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			w.Write(b[len(b)/2:])
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
	}))
	defer srv.Close()
	in, _ := setupIngester(t, limits)
	ctx := context.Background()

	for _, q := range []string{"", "?chunked"} {
		_, err := in.IngestURL(ctx, srv.URL+"/big.png"+q)
		wantCode(t, err, CodeTooLarge, srv.URL+"/big.png", "limit for images")
	}
	_, err := in.IngestURL(ctx, srv.URL+"/big.png")
	wantCode(t, err, CodeTooLarge, fmt.Sprintf("too large: %s, over the 10 KB limit for images", formatBytes(int64(len(bigPNG)))))
	_, err = in.IngestURL(ctx, srv.URL+"/big.png?chunked")
	wantCode(t, err, CodeTooLarge, "too large: more than the 10 KB limit for images")

	// GIFs and videos have their own caps.
	if _, err := in.IngestURL(ctx, srv.URL+"/anim.gif"); err != nil {
		t.Errorf("GIF under its own cap: %v", err)
	}
	if _, err := in.IngestURL(ctx, srv.URL+"/clip.mp4?chunked"); err != nil {
		t.Errorf("video under its cap: %v", err)
	}
	in2, _ := setupIngester(t, Limits{VideoMaxBytes: 20_000})
	_, err = in2.IngestURL(ctx, srv.URL+"/clip.mp4?chunked")
	wantCode(t, err, CodeTooLarge, "limit for videos")

	in3, _ := setupIngester(t, Limits{MaxPixels: 4_000_000})
	_, err = in3.IngestURL(ctx, srv.URL+"/huge.png")
	wantCode(t, err, CodeTooLarge, "3000×3000 pixels, over the 4-megapixel limit")
}

// TestIngestEndlessResponse serves a 1 GB body with no end in sight and
// checks that the download stops at the cap and that the memory allocated
// meanwhile is a small constant, far below the cap. It does not run in
// parallel: it reads process-wide allocation counters.
func TestIngestEndlessResponse(t *testing.T) {
	const gigabyte = 1 << 30
	png := makePNG(t, 4, 4)
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(gigabyte)) // announced...
		if r.URL.Query().Has("chunked") {
			w.Header().Del("Content-Length") // ...or not
		}
		w.Write(png[:100])
		chunk := make([]byte, 64<<10)
		for sent.Load() < gigabyte {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	for _, tc := range []struct {
		name  string
		query string
		limit int64
	}{
		{"announced length", "", 64 << 20},
		{"chunked, default cap", "?chunked", 0},
		{"chunked, 64 MiB cap", "?chunked", 64 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent.Store(0)
			in, _ := setupIngester(t, Limits{ImageMaxBytes: tc.limit})
			limit := in.Limits().ImageMaxBytes
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := in.IngestURL(context.Background(), srv.URL+"/endless.png"+tc.query)
			runtime.ReadMemStats(&after)
			wantCode(t, err, CodeTooLarge, "limit for images")
			// The server may have pushed some more into socket buffers
			// before the connection closed, never anything like 1 GB.
			if s := sent.Load(); s > limit+32<<20 {
				t.Errorf("server sent %d bytes for a cap of %d", s, limit)
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("cap %s: server sent %s, allocated %d KiB during the ingest", formatBytes(limit), formatBytes(sent.Load()), allocated>>10)
			// The server's handler runs in this process too, but writes
			// from one reused buffer; 4 MiB leaves room for the HTTP
			// machinery and is far below a 64 MiB cap that a buffered
			// body would need.
			if allocated > 4<<20 {
				t.Errorf("allocated %d bytes while ingesting; memory must not grow with the body", allocated)
			}
		})
	}
}

func TestIngestRefusedAddressNamesURL(t *testing.T) {
	t.Parallel()
	srv, _ := fileServer(t, makePNG(t, 4, 4))
	in := NewIngester(IngesterConfig{Store: newLocalStore(t), Fetcher: NewFetcher(FetcherConfig{}), TempDir: t.TempDir()})
	url := srv.URL + "/cat.png"
	_, err := in.IngestURL(context.Background(), url)
	wantCode(t, err, CodeRefusedAddress)
	want := "media " + url + ": Herald does not connect to 127.0.0.1 (loopback) because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestIngestLeavesNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	in := NewIngester(IngesterConfig{Store: newLocalStore(t), TempDir: tmp})
	in.IngestReader(context.Background(), "a.png", bytes.NewReader(makePNG(t, 4, 4)))
	in.IngestReader(context.Background(), "b.txt", strings.NewReader("<html>"))
	in.IngestReader(context.Background(), "c.png", bytes.NewReader(makePNG(t, 4, 4)[:50]))
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("temporary directory holds %d files after ingesting, want 0", len(entries))
	}
}

func TestIngestIntoS3(t *testing.T) {
	t.Parallel()
	store := newS3Store(t)
	in := NewIngester(IngesterConfig{Store: store, TempDir: t.TempDir(), Limits: Limits{VideoMaxBytes: 4 << 20}})
	mp4 := makeMP4(t, mp4Spec{brand: "isom", audio: true, mdat: 2 << 20})
	info, err := in.IngestReader(context.Background(), "clip.mp4", onlyReader{bytes.NewReader(mp4)})
	if err != nil {
		t.Fatal(err)
	}
	rc, bi, err := store.Open(context.Background(), info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if bi.Size != int64(len(mp4)) || !bytes.Equal(got, mp4) {
		t.Errorf("S3 holds %d bytes (equal: %v), want the %d uploaded", bi.Size, bytes.Equal(got, mp4), len(mp4))
	}
}
