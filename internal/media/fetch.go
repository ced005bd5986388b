package media

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald/internal/safehttp"
)

// FetcherConfig configures a Fetcher. Zero values take the defaults.
type FetcherConfig struct {
	// Policy is the address policy (see safehttp.AddressPolicy).
	Policy safehttp.AddressPolicy
	// Resolver defaults to net.DefaultResolver.
	Resolver safehttp.Resolver
	// ConnectTimeout bounds each connect and TLS handshake (default 10 s).
	ConnectTimeout time.Duration
	// Timeout bounds the whole download, body included (default 60 s).
	Timeout time.Duration
	// MaxRedirects bounds redirects (default 5).
	MaxRedirects int
	// UserAgent is sent with every request (default "Herald media fetcher").
	UserAgent string
}

// Fetcher downloads media URLs through a safehttp client.
type Fetcher struct {
	client    *http.Client
	policy    safehttp.AddressPolicy
	timeout   time.Duration
	userAgent string
}

// NewFetcher returns a Fetcher. It is safe for concurrent use.
func NewFetcher(cfg FetcherConfig) *Fetcher {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "Herald media fetcher"
	}
	maxRedirects := cfg.MaxRedirects
	if maxRedirects <= 0 {
		maxRedirects = 5
	}
	return &Fetcher{
		client: safehttp.NewClient(safehttp.Config{
			Policy:             cfg.Policy,
			Resolver:           cfg.Resolver,
			ConnectTimeout:     cfg.ConnectTimeout,
			MaxRedirects:       maxRedirects,
			DisableCompression: true,
		}),
		policy:    cfg.Policy,
		timeout:   timeout,
		userAgent: ua,
	}
}

// Download is a response being read. Read errors from Body are *Error
// (timeout, unreachable). Close it to release the connection.
type Download struct {
	// Body is the response body.
	Body io.ReadCloser
	// ContentLength is the announced length, or -1.
	ContentLength int64
	// URL is the final URL after redirects.
	URL string
}

// Get requests rawURL and returns the body of a 200 OK answer. Every failure
// is an *Error naming rawURL. The Timeout runs until Body is closed.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (*Download, error) {
	u, err := f.policy.CheckURL(rawURL)
	if err != nil {
		return nil, withURL(netError(err, f.timeout), rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, &Error{URL: rawURL, Code: CodeInvalidURL, Reason: "not a valid URL", Err: err}
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "image/*, video/*;q=0.9, */*;q=0.1")
	resp, err := f.client.Do(req)
	if err != nil {
		cancel()
		return nil, withURL(netError(err, f.timeout), rawURL)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, &Error{URL: rawURL, Code: CodeBadStatus,
			Reason: fmt.Sprintf("the server answered %s", resp.Status)}
	}
	return &Download{
		Body:          &downloadBody{rc: resp.Body, cancel: cancel, url: rawURL, timeout: f.timeout},
		ContentLength: resp.ContentLength,
		URL:           resp.Request.URL.String(),
	}, nil
}

// downloadBody maps read errors to *Error and ends the timeout on Close.
type downloadBody struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	url     string
	timeout time.Duration
}

func (b *downloadBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = withURL(netError(err, b.timeout), b.url)
	}
	return n, err
}

func (b *downloadBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

// netError turns a transport error into an *Error without URL.
func netError(err error, timeout time.Duration) error {
	var me *Error
	if errors.As(err, &me) {
		return me
	}
	var se *safehttp.Error
	if errors.As(err, &se) {
		return &Error{Code: Code(se.Code), Reason: se.Reason, Err: err}
	}
	var ae *safehttp.AddressError
	if errors.As(err, &ae) {
		return errorf(CodeRefusedAddress, err, "%s", ae.SafeMessage())
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return errorf(CodeTimeout, err, "timed out (the limit is %s)", timeout)
	}
	if errors.Is(err, context.Canceled) {
		return err // the caller gave up; not the user's fault
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(CodeUnreachable, err, "unreachable: the connection closed before the whole file arrived")
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return errorf(CodeUnreachable, err, "unreachable: the host %s does not exist", dnsErr.Name)
		}
		return errorf(CodeUnreachable, err, "unreachable: could not resolve %s", dnsErr.Name)
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) {
		return errorf(CodeUnreachable, err, "unreachable: the server's TLS certificate is not valid")
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return errorf(CodeUnreachable, err, "unreachable: %s", opErr.Err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return errorf(CodeUnreachable, err, "unreachable: %v", err)
}
