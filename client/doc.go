// Package client is a Go client for Herald's REST API: Ocoya's public API v1
// (base path /api/_public/v1, header X-API-Key) and Herald's documented
// extensions (brand kits, hashtag libraries and studio templates that can be
// written, API keys, members and invitations, Idempotency-Key, POST /post/validate).
//
// It is a public package: its types mirror the JSON on the wire and it
// imports nothing of Herald's internals, so that it only changes when the
// wire contract does, and so that tests written with it (test/blackbox)
// check the server from the outside, as any other client sees it.
//
//	c := client.New("http://127.0.0.1:8080/api/_public/v1", os.Getenv("HERALD_API_KEY"), nil)
//	me, err := c.Me(ctx)
//	var apiErr *client.APIError
//	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden { ... }
//
// Every method takes a context first and ends with request options
// (WithIdempotencyKey, WithWorkspace, WithHeader, CaptureHeader).
package client
