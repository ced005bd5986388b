package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/httpsend"
)

// call is one XRPC request.
type call struct {
	method string
	url    string
	token  string
	body   io.Reader
	// contentType defaults to application/json when body is set.
	contentType   string
	contentLength int64
	// create marks the request that publishes (see provider.KindOutcomeUnknown).
	create bool
}

// xrpcError is the XRPC error body.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

const maxBody = 8 << 20

// do sends c and decodes a 2xx JSON answer into out. Failures are
// *provider.Error; Code holds the XRPC error name when there is one.
func (p *Provider) do(ctx context.Context, c call, out any) error {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, c.body)
	if err != nil {
		return &provider.Error{Kind: provider.KindRejected, Code: "InvalidRequest", Message: "invalid service URL", Err: err}
	}
	if c.body != nil {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
		if c.contentLength > 0 {
			req.ContentLength = c.contentLength
		}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if p.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", p.cfg.UserAgent)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if !wrote.Load() || !c.create {
			return &provider.Error{Kind: provider.KindTransient, Code: "network", Message: "could not reach the Bluesky server", Err: err}
		}
		return &provider.Error{Kind: provider.KindOutcomeUnknown, Code: "network", Message: "no answer from the Bluesky server after the post was sent", Err: err}
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if readErr == nil && out != nil {
			readErr = json.Unmarshal(body, out)
		}
		if readErr != nil {
			return &provider.Error{Kind: httpsend.UncertainKind(c.create), Code: strconv.Itoa(resp.StatusCode), Message: "malformed answer from the Bluesky server", Err: readErr}
		}
		return nil
	}
	return p.httpError(c, resp, body)
}

func (p *Provider) httpError(c call, resp *http.Response, body []byte) *provider.Error {
	var xe xrpcError
	_ = json.Unmarshal(body, &xe)
	e := &provider.Error{Code: xe.Error, Message: xe.Message}
	if e.Code == "" {
		e.Code = strconv.Itoa(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = xe.Error
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	switch {
	case xe.Error == "ExpiredToken":
		e.Kind = provider.KindTokenExpired
	case resp.StatusCode == http.StatusUnauthorized:
		e.Kind = provider.KindUnauthorized
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = provider.KindRateLimited
		e.RetryAt = retryAt(resp.Header, p.now())
	case resp.StatusCode >= 500:
		e.Kind = httpsend.UncertainKind(c.create)
	case resp.StatusCode >= 400:
		e.Kind = provider.KindRejected
	default:
		e.Kind = httpsend.UncertainKind(c.create)
	}
	return e
}

// retryAt reads ratelimit-reset (Unix seconds, as the PDS sends it), else
// Retry-After.
func retryAt(h http.Header, now time.Time) time.Time {
	if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if n > 1e9 {
				return time.Unix(n, 0)
			}
			return now.Add(time.Duration(n) * time.Second) // delta-seconds form of the IETF draft
		}
	}
	return httpsend.RetryAfter(h, now)
}

func errorCode(err error) string {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func kindOf(err error) provider.ErrorKind {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}
