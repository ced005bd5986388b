package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestServeBlob(t *testing.T) {
	t.Parallel()
	for name, newStore := range map[string]func(testing.TB) Store{
		"local": func(t testing.TB) Store { return newLocalStore(t) },
		"s3":    func(t testing.TB) Store { return newS3Store(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testServeBlob(t, newStore(t))
		})
	}
}

func testServeBlob(t *testing.T, store Store) {
	content := make([]byte, 10_000)
	for i := range content {
		content[i] = byte(i % 251)
	}
	bi, err := store.Put(context.Background(), bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	key := bi.Key
	etag := `"` + key + `"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := strings.TrimPrefix(r.URL.Path, "/m/")
		if err := ServeBlob(w, r, store, k, MIMEMP4); err != nil {
			t.Errorf("ServeBlob: %v", err)
		}
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		status     int
		wantHeader map[string]string
		body       []byte // nil: not checked
		multipart  bool   // a 206 of several parts
	}{
		{name: "full GET", method: "GET", status: 200,
			wantHeader: map[string]string{"Content-Length": "10000", "Accept-Ranges": "bytes"}, body: content},
		{name: "HEAD", method: "HEAD", status: 200,
			wantHeader: map[string]string{"Content-Length": "10000", "Accept-Ranges": "bytes"}, body: []byte{}},
		{name: "first bytes", method: "GET", header: map[string]string{"Range": "bytes=0-99"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 0-99/10000", "Content-Length": "100"}, body: content[:100]},
		{name: "middle", method: "GET", header: map[string]string{"Range": "bytes=5000-5009"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 5000-5009/10000"}, body: content[5000:5010]},
		{name: "open-ended", method: "GET", header: map[string]string{"Range": "bytes=9990-"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 9990-9999/10000"}, body: content[9990:]},
		{name: "suffix", method: "GET", header: map[string]string{"Range": "bytes=-5"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 9995-9999/10000"}, body: content[9995:]},
		{name: "HEAD with range", method: "HEAD", header: map[string]string{"Range": "bytes=0-99"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 0-99/10000", "Content-Length": "100"}, body: []byte{}},
		{name: "unsatisfiable", method: "GET", header: map[string]string{"Range": "bytes=20000-"}, status: 416,
			wantHeader: map[string]string{"Content-Range": "bytes */10000"}},
		{name: "if-none-match", method: "GET", header: map[string]string{"If-None-Match": etag}, status: 304, body: []byte{}},
		{name: "if-none-match other", method: "GET", header: map[string]string{"If-None-Match": `"other"`}, status: 200, body: content},
		{name: "if-range matching", method: "GET", header: map[string]string{"Range": "bytes=0-9", "If-Range": etag}, status: 206, body: content[:10]},
		{name: "if-range stale", method: "GET", header: map[string]string{"Range": "bytes=0-9", "If-Range": `"stale"`}, status: 200, body: content},
		// Ranges are limited: merged when they overlap or touch, the whole
		// file when too many remain or the header is too long.
		{name: "overlapping ranges merged", method: "GET", header: map[string]string{"Range": "bytes=20-29,0-9,5-19"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 0-29/10000", "Content-Length": "30"}, body: content[:30]},
		{name: "adjacent ranges merged", method: "GET", header: map[string]string{"Range": manyRanges(100, 10, 0)}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 0-999/10000", "Content-Length": "1000"}, body: content[:1000]},
		{name: "sixteen ranges", method: "GET", header: map[string]string{"Range": manyRanges(16, 10, 10)}, status: 206, multipart: true},
		{name: "seventeen ranges", method: "GET", header: map[string]string{"Range": manyRanges(17, 10, 10)}, status: 200,
			wantHeader: map[string]string{"Content-Length": "10000"}, body: content},
		{name: "long header", method: "GET", header: map[string]string{"Range": "bytes=0-9" + strings.Repeat(",0-9", MaxRangeHeaderBytes/4)}, status: 200, body: content},
		{name: "60,000 ranges", method: "GET", header: map[string]string{"Range": manyRanges(60_000, 1, 1)}, status: 200,
			wantHeader: map[string]string{"Content-Length": "10000"}, body: content},
		{name: "unsatisfiable ranges", method: "GET", header: map[string]string{"Range": "bytes=10000-10010,20000-"}, status: 416,
			wantHeader: map[string]string{"Content-Range": "bytes */10000"}},
		{name: "unsatisfiable ranges dropped", method: "GET", header: map[string]string{"Range": "bytes=20000-,0-9"}, status: 206,
			wantHeader: map[string]string{"Content-Range": "bytes 0-9/10000"}, body: content[:10]},
		{name: "unknown key", method: "GET", path: "/m/" + strings.Repeat("0", 64), status: 404},
		{name: "not a key", method: "GET", path: "/m/..%2F..%2Fetc%2Fpasswd", status: 404},
		{name: "POST", method: "POST", status: 405, wantHeader: map[string]string{"Allow": "GET, HEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.path
			if path == "" {
				path = "/m/" + key
			}
			req, _ := http.NewRequest(tt.method, srv.URL+path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tt.status == 200 || tt.status == 206 || tt.status == 304 {
				for k, v := range map[string]string{
					"ETag":                   etag,
					"Cache-Control":          "public, max-age=31536000, immutable",
					"X-Content-Type-Options": "nosniff",
				} {
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			}
			if tt.status == 200 || tt.status == 206 {
				if got := resp.Header.Get("Content-Type"); got != MIMEMP4 && !(tt.multipart && strings.HasPrefix(got, "multipart/byteranges;")) {
					t.Errorf("Content-Type = %q, want %q", got, MIMEMP4)
				}
				if _, err := time.Parse(http.TimeFormat, resp.Header.Get("Last-Modified")); err != nil {
					t.Errorf("Last-Modified = %q: %v", resp.Header.Get("Last-Modified"), err)
				}
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Errorf("body is %d bytes, want %d bytes (equal: false)", len(body), len(tt.body))
			}
		})
	}

	t.Run("multiple ranges", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequest("GET", srv.URL+"/m/"+key, nil)
		req.Header.Set("Range", "bytes=0-9,100-109")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 206 {
			t.Fatalf("status = %d, want 206", resp.StatusCode)
		}
		mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/byteranges" {
			t.Fatalf("Content-Type = %q, want multipart/byteranges", resp.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(resp.Body, params["boundary"])
		want := []struct {
			rng  string
			body []byte
		}{{"bytes 0-9/10000", content[:10]}, {"bytes 100-109/10000", content[100:110]}}
		for i, w := range want {
			p, err := mr.NextPart()
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			if p.Header.Get("Content-Range") != w.rng || p.Header.Get("Content-Type") != MIMEMP4 {
				t.Errorf("part %d headers = %v, want range %q and type %q", i, p.Header, w.rng, MIMEMP4)
			}
			b, _ := io.ReadAll(p)
			if !bytes.Equal(b, w.body) {
				t.Errorf("part %d body = %v, want %v", i, b, w.body)
			}
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Errorf("after two parts: %v, want EOF", err)
		}
	})
}

// manyRanges returns a Range header of n ranges of length bytes each, gap
// bytes apart.
func manyRanges(n, length, gap int) string {
	parts := make([]string, n)
	for i := range parts {
		start := i * (length + gap)
		parts[i] = strconv.Itoa(start) + "-" + strconv.Itoa(start+length-1)
	}
	return "bytes=" + strings.Join(parts, ",")
}

func TestLimitRanges(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, header, want string }{
		{"one", "bytes=0-9", "bytes=0-9"},
		{"sorted and merged", "bytes=50-59, 0-9,10-19,5-7", "bytes=0-19,50-59"},
		{"open-ended swallows the rest", "bytes=100-,0-9,200-300", "bytes=0-9,100-999"},
		{"suffix", "bytes=-10,0-0", "bytes=0-0,990-999"},
		{"end past the size", "bytes=900-5000", "bytes=900-999"},
		{"not bytes", "items=0-9", "items=0-9"},
		{"malformed kept for ServeContent", "bytes=9-1", "bytes=9-1"},
		{"none satisfiable kept", "bytes=1000-", "bytes=1000-"},
		{"too many", manyRanges(MaxRanges+1, 1, 1), ""},
		{"too long", "bytes=" + strings.Repeat("0", MaxRangeHeaderBytes), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := limitRanges(tt.header, 1000); got != tt.want {
				t.Errorf("limitRanges(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// brokenStore fails every call, as an unreachable bucket would.
type brokenStore struct{ Store }

func (brokenStore) Open(context.Context, string) (io.ReadSeekCloser, BlobInfo, error) {
	return nil, BlobInfo{}, errors.New("connection reset")
}

func TestServeBlobStoreFailure(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	err := ServeBlob(rec, httptest.NewRequest("GET", "/m/x", nil), brokenStore{}, strings.Repeat("a", 64), MIMEPNG)
	if err == nil || rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ServeBlob = %v with status %d, want an error and 503", err, rec.Code)
	}
	if strings.Contains(rec.Body.String(), "connection reset") {
		t.Error("the internal error leaked to the client")
	}
	if rec.Header().Get("Cache-Control") != "" {
		t.Error("a failure must not be cached")
	}
}
