package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// BasePath is where the API lives on a Herald server (and on Ocoya).
const BasePath = "/api/_public/v1"

// maxErrorBody bounds how much of an error answer is read: enough for any
// JSON message, not a whole HTML page from a misconfigured proxy.
const maxErrorBody = 64 << 10

// Client calls Herald's REST API with one API key. It is safe for
// concurrent use.
type Client struct {
	base    string // the API's base URL, without a trailing slash
	baseErr error
	apiKey  string
	hc      *http.Client
}

// New returns a client of the API at baseURL, authenticated with apiKey.
//
// baseURL is the API's base as Ocoya's documentation names it
// ("https://herald.example.org/api/_public/v1"); a URL with no path (the
// server's root) gets BasePath appended. httpClient may be nil, in which
// case http.DefaultClient is used. A malformed baseURL is reported by every
// call rather than here, so that New can be used in expressions.
func New(baseURL, apiKey string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{apiKey: apiKey, hc: httpClient}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	switch {
	case err != nil:
		c.baseErr = fmt.Errorf("client: base URL %q: %w", baseURL, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		c.baseErr = fmt.Errorf("client: base URL %q is not an absolute http(s) URL", baseURL)
	default:
		if u.Path == "" {
			u.Path = BasePath
		}
		c.base = u.String()
	}
	return c
}

// BaseURL returns the API's base URL the client calls.
func (c *Client) BaseURL() string { return c.base }

// APIError is an answer of the API with a status of 400 or more. Herald
// (like Ocoya) answers errors with {"message": "..."}; Message holds it,
// or the start of the body when it was not that JSON.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the server's explanation, naming the field and the rule
	// for validation errors.
	Message string
	// Header holds the answer's headers: Retry-After on a 429, Allow on a
	// 405, X-RateLimit-* and X-Request-Id on all.
	Header http.Header
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("herald API: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Option changes one request.
type Option func(*callOptions)

type callOptions struct {
	header     http.Header
	query      url.Values
	respHeader *http.Header
}

// WithIdempotencyKey sends an Idempotency-Key header: Herald answers a
// retried POST with the same key and body with the first answer (and the
// header Idempotent-Replayed: true) instead of acting twice, and a reuse
// of the key with another body with a 422.
func WithIdempotencyKey(key string) Option {
	return WithHeader("Idempotency-Key", key)
}

// WithWorkspace adds workspaceId to the query. Routes keyed by a post id do
// not need it; when given, Herald checks the post belongs to that workspace.
// Workspace-scoped methods take the workspace as an argument instead.
func WithWorkspace(id string) Option {
	return WithQuery("workspaceId", id)
}

// WithHeader sets a request header.
func WithHeader(key, value string) Option {
	return func(o *callOptions) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Set(key, value)
	}
}

// WithQuery sets a query parameter, replacing one the method sets.
func WithQuery(key, value string) Option {
	return func(o *callOptions) {
		if o.query == nil {
			o.query = url.Values{}
		}
		o.query.Set(key, value)
	}
}

// CaptureHeader stores the answer's headers in *h (on success and on
// error), for callers that watch the rate limit or Idempotent-Replayed.
func CaptureHeader(h *http.Header) Option {
	return func(o *callOptions) { o.respHeader = h }
}

// Do sends one request to path (relative to the base URL, such as "/post")
// with the query q, in encoded as the JSON body when not nil, and decodes a
// successful JSON answer into out when not nil. An answer of 400 or more is
// returned as *APIError. The typed methods are built on it; it serves
// endpoints this package does not wrap yet.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, in, out any, opts ...Option) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	u := c.base + path
	if len(q) > 0 || len(o.query) > 0 {
		merged := url.Values{}
		for k, v := range q {
			merged[k] = v
		}
		for k, v := range o.query {
			merged[k] = v
		}
		u += "?" + merged.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("X-API-Key", c.apiKey)
	}
	for k, v := range o.header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if o.respHeader != nil {
		*o.respHeader = resp.Header
	}
	if resp.StatusCode >= 400 {
		return readAPIError(resp)
	}
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	if raw, ok := out.(*[]byte); ok {
		*raw, err = io.ReadAll(resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: decode the answer of %s %s (%d): %w", method, path, resp.StatusCode, err)
	}
	return nil
}

func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{Status: resp.StatusCode, Header: resp.Header}
	var msg struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(b, &msg) == nil && msg.Message != nil {
		e.Message = *msg.Message
	} else {
		e.Message = strings.TrimSpace(string(b))
	}
	return e
}

// wsQuery is the query of a workspace-scoped endpoint.
func wsQuery(workspaceID string) url.Values {
	return url.Values{"workspaceId": {workspaceID}}
}

// seg escapes one path segment (an id).
func seg(id string) string { return url.PathEscape(id) }
