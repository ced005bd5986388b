package safehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Resolver looks up a host's addresses. *net.Resolver implements it; tests
// inject their own to make a name resolve to a chosen address.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer dials TCP only to addresses its Policy allows. It resolves
// names itself so a refusal can name the host, refuses a host if any of its
// addresses is refused (a name that mixes inside and outside addresses is a
// rebinding attempt or a mistake), and checks every address once more in the
// socket's Control hook, just before connecting.
type Dialer struct {
	Policy AddressPolicy
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// Timeout bounds each connection attempt (default 10 s).
	Timeout time.Duration
}

// DialContext has the signature of http.Transport.DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("safehttp: refused network %q", network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	policy := d.Policy.forHost(host)
	var addrs []netip.Addr
	named := false
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		named = true
		// A name the resolver might read as an odd IPv4 spelling never gets
		// that far: CheckHost decodes it and refuses or rejects it.
		if err := policy.CheckHost(host); err != nil {
			return nil, err
		}
		r := d.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ipNet := "ip"
		switch network {
		case "tcp4":
			ipNet = "ip4"
		case "tcp6":
			ipNet = "ip6"
		}
		addrs, err = r.LookupNetIP(ctx, ipNet, host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
	}
	for _, a := range addrs {
		if err := policy.CheckAddr(a); err != nil {
			ae := err.(*AddressError)
			ae.Host, ae.Named = host, named
			return nil, ae
		}
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	nd := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: policy.Control}
	var firstErr error
	for _, a := range addrs {
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// Config configures NewClient.
type Config struct {
	Policy AddressPolicy
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// ConnectTimeout bounds each TCP connect and TLS handshake (default 10 s).
	ConnectTimeout time.Duration
	// Timeout bounds a whole request including reading the body (0: none;
	// callers may use contexts instead).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed (0: the default of 5;
	// negative: none, the redirect response is returned as is).
	MaxRedirects int
	// DisableCompression turns off transparent gzip, so a size cap counts
	// the bytes as sent (media downloads set it).
	DisableCompression bool
}

// NewClient returns an *http.Client that connects only where
// cfg.Policy allows, follows at most cfg.MaxRedirects redirects and only to
// http(s) URLs that pass the policy, and ignores proxy environment variables
// (a proxy would connect on our behalf, past the address check). Every
// outbound request of Herald goes through such a client.
//
// Refusals surface (wrapped in *url.Error) as *Error or *AddressError.
func NewClient(cfg Config) *http.Client {
	connect := cfg.ConnectTimeout
	if connect <= 0 {
		connect = 10 * time.Second
	}
	dialer := &Dialer{Policy: cfg.Policy, Resolver: cfg.Resolver, Timeout: connect}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    connect,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 256 << 10,
		DisableCompression:     cfg.DisableCompression,
	}
	maxRedirects := cfg.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = 5
	}
	return &http.Client{
		Transport: &checkedTransport{policy: cfg.Policy, next: tr},
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if maxRedirects < 0 {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return errorf(CodeTooManyRedirects, nil, "more than %d redirects", maxRedirects)
			}
			if _, err := cfg.Policy.CheckURL(req.URL.String()); err != nil {
				var me *Error
				if errors.As(err, &me) {
					me.Reason = "redirected to " + req.URL.Redacted() + ": " + me.Reason
				}
				return err
			}
			return nil
		},
	}
}

// checkedTransport checks every request URL before it is sent, so odd IPv4
// spellings and non-http schemes are refused even when a caller builds the
// request itself.
type checkedTransport struct {
	policy AddressPolicy
	next   http.RoundTripper
}

func (t *checkedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, err := t.policy.CheckURL(req.URL.String()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// underlying transport.
func (t *checkedTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
