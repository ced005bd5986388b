package media

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/safehttp"
)

// fakeResolver answers from a table; names not in it do not exist.
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][]netip.Addr
	calls int
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if a, ok := r.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (r *fakeResolver) set(host string, addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hosts == nil {
		r.hosts = map[string][]netip.Addr{}
	}
	r.hosts[host] = nil
	for _, a := range addrs {
		r.hosts[host] = append(r.hosts[host], netip.MustParseAddr(a))
	}
}

// fileServer serves body at every path and counts requests.
func fileServer(t *testing.T, body []byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// serverOn starts a server on a chosen loopback address (127.0.0.2 stands in
// for a public media host that the policy allows through Allow).
func serverOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

var allow127002 = safehttp.AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}

func wantCode(t *testing.T, err error, code Code, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := CodeOf(err); got != code {
		t.Fatalf("code = %q, want %q (error: %v)", got, code, err)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q does not contain %q", err, c)
		}
	}
}

// wantHidden checks that err's message (what users see) does not show
// secret, while the cause in its chain (what the log gets) does.
func wantHidden(t *testing.T, err error, secret string) {
	t.Helper()
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q shows %q to the user", err, secret)
	}
	var ae *safehttp.AddressError
	if !errors.As(err, &ae) || !strings.Contains(ae.Error(), secret) {
		t.Errorf("error %q has no cause naming %q for the log", err, secret)
	}
}

func TestFetchRefusesLoopbackServer(t *testing.T) {
	t.Parallel()
	png := makePNG(t, 4, 4)
	srv, hits := fileServer(t, png)

	_, err := NewFetcher(FetcherConfig{}).Get(context.Background(), srv.URL+"/a.png")
	wantCode(t, err, CodeRefusedAddress, srv.URL+"/a.png", "127.0.0.1 (loopback)")
	if hits.Load() != 0 {
		t.Errorf("server got %d requests, want none", hits.Load())
	}

	// The same server is fine once private networks are allowed, which
	// shows the refusal above is the policy's doing.
	dl, err := NewFetcher(FetcherConfig{Policy: safehttp.AddressPolicy{AllowPrivateNetworks: true}}).Get(context.Background(), srv.URL+"/a.png")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Body.Close()
	got, _ := io.ReadAll(dl.Body)
	if !bytes.Equal(got, png) {
		t.Error("body differs from the served file")
	}
}

func TestFetchRedirectToInside(t *testing.T) {
	t.Parallel()
	inside, insideHits := fileServer(t, makePNG(t, 4, 4))
	port := inside.Listener.Addr().(*net.TCPAddr).Port
	res := &fakeResolver{}
	res.set("inside.example", "127.0.0.1")
	tests := []struct {
		name, location string
		code           Code
		contains       string
	}{
		{"loopback", inside.URL + "/secret.png", CodeRefusedAddress, "127.0.0.1 (loopback)"},
		{"localhost", fmt.Sprintf("http://localhost:%d/x", port), CodeRefusedAddress, "localhost because it is a private or loopback address"},
		{"decimal spelling", fmt.Sprintf("http://2130706433:%d/x", port), CodeRefusedAddress, "2130706433 (127.0.0.1, loopback)"},
		{"mapped IPv6", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/x", port), CodeRefusedAddress, "IPv4-mapped"},
		{"name resolving inside", fmt.Sprintf("http://inside.example:%d/x", port), CodeRefusedAddress, "inside.example because it is a private or loopback address"},
		{"metadata", "http://169.254.169.254/latest/meta-data/iam/", CodeRefusedAddress, "cloud metadata"},
		{"file scheme", "file:///etc/passwd", CodeInvalidURL, `scheme "file" is not allowed`},
		{"gopher scheme", "gopher://127.0.0.1:6379/_INFO", CodeInvalidURL, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			outside := serverOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.location, http.StatusFound)
			}))
			f := NewFetcher(FetcherConfig{Policy: allow127002, Resolver: res})
			_, err := f.Get(context.Background(), outside.URL+"/a.png")
			wantCode(t, err, tt.code, outside.URL+"/a.png", tt.contains)
		})
	}
	if n := insideHits.Load(); n != 0 {
		t.Errorf("the inside server got %d requests, want none", n)
	}
}

func TestFetchHostResolvesToPrivate(t *testing.T) {
	t.Parallel()
	png := makePNG(t, 4, 4)
	srv, hits := fileServer(t, png)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	res := &fakeResolver{}
	res.set("media.example", "127.0.0.1")
	res.set("mixed.example", "127.0.0.2", "10.0.0.7") // 127.0.0.2 is allowed below
	url := fmt.Sprintf("http://media.example:%d/a.png", port)

	_, err := NewFetcher(FetcherConfig{Resolver: res}).Get(context.Background(), url)
	// The user learns that Herald refused the name and which setting allows
	// it, not the address it resolved to (that is the operator's network).
	wantCode(t, err, CodeRefusedAddress, url, "Herald does not connect to media.example because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true")
	wantHidden(t, err, "127.0.0.1")

	_, err = NewFetcher(FetcherConfig{Resolver: res, Policy: allow127002}).Get(context.Background(), fmt.Sprintf("http://mixed.example:%d/a.png", port))
	wantCode(t, err, CodeRefusedAddress, "mixed.example because it is a private or loopback address")
	wantHidden(t, err, "10.0.0.7")
	if hits.Load() != 0 {
		t.Fatalf("server got %d requests, want none", hits.Load())
	}

	// With private networks allowed the injected resolver is really used.
	dl, err := NewFetcher(FetcherConfig{Resolver: res, Policy: safehttp.AddressPolicy{AllowPrivateNetworks: true}}).Get(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	dl.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("server got %d requests, want 1", hits.Load())
	}
}

// TestFetchRebinding: a name that resolved to an allowed address on the
// first connection and to a refused one on the next is refused on the next,
// because every connection is checked when it is made.
func TestFetchRebinding(t *testing.T) {
	t.Parallel()
	png := makePNG(t, 4, 4)
	srv := serverOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // every request dials anew
		w.Write(png)
	}))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	res := &fakeResolver{}
	res.set("cdn.example", "127.0.0.2")
	f := NewFetcher(FetcherConfig{Policy: allow127002, Resolver: res})
	url := fmt.Sprintf("http://cdn.example:%d/a.png", port)

	dl, err := f.Get(context.Background(), url)
	if err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	io.Copy(io.Discard, dl.Body)
	dl.Body.Close()

	res.set("cdn.example", "127.0.0.1")
	_, err = f.Get(context.Background(), url)
	wantCode(t, err, CodeRefusedAddress, "cdn.example because it is a private or loopback address")
	wantHidden(t, err, "127.0.0.1")
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	dev := safehttp.AddressPolicy{AllowPrivateNetworks: true}

	t.Run("too many redirects", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := hits.Add(1)
			http.Redirect(w, r, fmt.Sprintf("/hop%d", n), http.StatusFound)
		}))
		defer srv.Close()
		_, err := NewFetcher(FetcherConfig{Policy: dev, MaxRedirects: 3}).Get(context.Background(), srv.URL)
		wantCode(t, err, CodeTooManyRedirects, "more than 3 redirects")
		if hits.Load() != 4 {
			t.Errorf("server got %d requests, want 4 (1 + 3 redirects)", hits.Load())
		}
	})

	t.Run("bad status", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		_, err := NewFetcher(FetcherConfig{Policy: dev}).Get(context.Background(), srv.URL+"/gone.png")
		wantCode(t, err, CodeBadStatus, srv.URL+"/gone.png", "the server answered 404 Not Found")
	})

	t.Run("timeout before headers", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		_, err := NewFetcher(FetcherConfig{Policy: dev, Timeout: 100 * time.Millisecond}).Get(context.Background(), srv.URL)
		wantCode(t, err, CodeTimeout, "timed out (the limit is 100ms)")
	})

	t.Run("timeout while reading the body", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		png := makePNG(t, 64, 64)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(png)))
			w.Write(png[:100])
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		store, _ := NewLocalStore(t.TempDir())
		in := NewIngester(IngesterConfig{Store: store, TempDir: t.TempDir(),
			Fetcher: NewFetcher(FetcherConfig{Policy: dev, Timeout: 150 * time.Millisecond})})
		_, err := in.IngestURL(context.Background(), srv.URL+"/slow.png")
		wantCode(t, err, CodeTimeout, srv.URL+"/slow.png", "timed out")
	})

	t.Run("body shorter than announced", func(t *testing.T) {
		t.Parallel()
		png := makePNG(t, 64, 64)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(png)+1000))
			w.Write(png)
		}))
		defer srv.Close()
		in := NewIngester(IngesterConfig{Store: newLocalStore(t), TempDir: t.TempDir(), Fetcher: NewFetcher(FetcherConfig{Policy: dev})})
		_, err := in.IngestURL(context.Background(), srv.URL+"/cut.png")
		wantCode(t, err, CodeUnreachable, "closed before the whole file arrived")
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = NewFetcher(FetcherConfig{Policy: dev}).Get(context.Background(), "http://"+addr+"/a.png")
		wantCode(t, err, CodeUnreachable, "unreachable", "connection refused")
	})

	t.Run("no such host", func(t *testing.T) {
		t.Parallel()
		_, err := NewFetcher(FetcherConfig{Resolver: &fakeResolver{}}).Get(context.Background(), "https://nowhere.example/a.png")
		wantCode(t, err, CodeUnreachable, "https://nowhere.example/a.png", "the host nowhere.example does not exist")
	})

	t.Run("bad TLS certificate", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
		srv.StartTLS()
		defer srv.Close()
		_, err := NewFetcher(FetcherConfig{Policy: dev}).Get(context.Background(), srv.URL)
		wantCode(t, err, CodeUnreachable, "TLS certificate is not valid")
	})

	t.Run("no transparent decompression", func(t *testing.T) {
		t.Parallel()
		// A gzip bomb must be counted as sent: the fetcher asks for no
		// compression and decompresses nothing.
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(makePNG(t, 8, 8))
		zw.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Accept-Encoding") != "" {
				t.Errorf("Accept-Encoding = %q, want none", r.Header.Get("Accept-Encoding"))
			}
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}))
		defer srv.Close()
		store, _ := NewLocalStore(t.TempDir())
		in := NewIngester(IngesterConfig{Store: store, TempDir: t.TempDir(), Fetcher: NewFetcher(FetcherConfig{Policy: dev})})
		_, err := in.IngestURL(context.Background(), srv.URL)
		wantCode(t, err, CodeUnsupportedType, "found application/x-gzip")
	})
}
