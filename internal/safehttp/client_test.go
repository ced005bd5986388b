package safehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// staticResolver resolves every name to its addresses.
type staticResolver []netip.Addr

func (r staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

// counted starts a server running h and counts its requests.
func counted(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func wantCode(t *testing.T, err error, code Code, contains string) {
	t.Helper()
	if got := CodeOf(err); got != code {
		t.Fatalf("code = %q, want %q (error: %v)", got, code, err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not contain %q", err, contains)
	}
}

func TestClientRefusesInside(t *testing.T) {
	t.Parallel()
	srv, hits := counted(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) })
	c := NewClient(Config{})
	_, err := c.Get(srv.URL + "/api/v1/instance")
	wantCode(t, err, CodeRefusedAddress, "127.0.0.1 (loopback)")

	// A caller building its own request with an odd spelling is refused
	// before any lookup.
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://0x7f.1:%d/", port), nil)
	_, err = c.Do(req)
	wantCode(t, err, CodeRefusedAddress, "0x7f.1 (127.0.0.1, loopback)")

	// The operator's allowance lets the same server through.
	dev := NewClient(Config{Policy: AddressPolicy{AllowPrivateNetworks: true}})
	resp, err := dev.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("server got %d requests, want 1", hits.Load())
	}
}

// TestClientRefusesNameResolvingInside: a name is checked at connect time,
// after DNS, and the refusal names the host, not the address.
func TestClientRefusesNameResolvingInside(t *testing.T) {
	t.Parallel()
	srv, hits := counted(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := NewClient(Config{Resolver: staticResolver{netip.MustParseAddr("127.0.0.1")}})
	_, err := c.Get(fmt.Sprintf("http://api.example:%d/", port))
	var ae *AddressError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want an *AddressError", err)
	}
	if ae.Host != "api.example" || !ae.Named || ae.Reason != "loopback" {
		t.Errorf("AddressError = %+v, want host api.example, named, loopback", ae)
	}
	if msg := ae.SafeMessage(); strings.Contains(msg, "127.0.0.1") {
		t.Errorf("SafeMessage %q shows the resolved address", msg)
	}
	if hits.Load() != 0 {
		t.Errorf("server got %d requests, want none", hits.Load())
	}
}

func TestClientRedirects(t *testing.T) {
	t.Parallel()
	dev := AddressPolicy{AllowPrivateNetworks: true}
	t.Run("to a refused address", func(t *testing.T) {
		t.Parallel()
		// The first hop is allowed; the metadata address it redirects to
		// never is.
		srv, hits := counted(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		})
		_, err := NewClient(Config{Policy: dev}).Get(srv.URL)
		wantCode(t, err, CodeRefusedAddress, "redirected to http://169.254.169.254/latest/meta-data/")
		if hits.Load() != 1 {
			t.Errorf("server got %d requests, want 1", hits.Load())
		}
	})
	t.Run("too many", func(t *testing.T) {
		t.Parallel()
		srv, hits := counted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/again", http.StatusFound) })
		_, err := NewClient(Config{Policy: dev, MaxRedirects: 2}).Get(srv.URL)
		wantCode(t, err, CodeTooManyRedirects, "more than 2 redirects")
		if hits.Load() != 3 {
			t.Errorf("server got %d requests, want 3", hits.Load())
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		srv, _ := counted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/again", http.StatusFound) })
		resp, err := NewClient(Config{Policy: dev, MaxRedirects: -1}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Errorf("status = %d, want the redirect itself", resp.StatusCode)
		}
	})
}

// TestClientAllowHosts: a host an operator named in a setting (the S3
// endpoint) is reached on a private address; other names resolving there
// are not, and the never-allowed addresses stay refused.
func TestClientAllowHosts(t *testing.T) {
	t.Parallel()
	srv, hits := counted(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := NewClient(Config{
		Policy:   AddressPolicy{AllowHosts: []string{"S3.internal.", "127.0.0.1", "169.254.169.254"}},
		Resolver: staticResolver{netip.MustParseAddr("127.0.0.1")},
	})
	for _, u := range []string{fmt.Sprintf("http://s3.internal:%d/bucket", port), srv.URL} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		resp.Body.Close()
	}
	if hits.Load() != 2 {
		t.Errorf("server got %d requests, want 2", hits.Load())
	}
	var ae *AddressError
	if _, err := c.Get(fmt.Sprintf("http://other.internal:%d/", port)); !errors.As(err, &ae) {
		t.Errorf("GET other.internal: %v, want an *AddressError", err)
	}
	_, err := c.Get("http://169.254.169.254/latest/meta-data/")
	wantCode(t, err, CodeRefusedAddress, "cloud metadata")
	if hits.Load() != 2 {
		t.Errorf("server got %d requests, want 2", hits.Load())
	}
}
