package api

import "net/http"

// WrapPOSTForTest serves fn as a POST route through the API's middleware,
// so that tests can make a handler fail in ways no real route does (a
// panic).
func (h *Handler) WrapPOSTForTest(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return h.wrap(route{method: http.MethodPost, path: "/test", status: http.StatusCreated, h: fn})
}
