package media

import (
	"errors"
	"net/http"
)

// ServeBlob answers a public GET or HEAD request for one stored blob, for the
// networks that pull media by URL (Instagram, Threads, TikTok, Pinterest)
// and for browsers. It supports single and multiple byte ranges (206),
// If-None-Match and If-Modified-Since (304), and If-Range, through
// http.ServeContent. Ranges are limited first (limitRanges): overlapping and
// adjacent ones are merged, and a Range header longer than
// MaxRangeHeaderBytes or naming more than MaxRanges ranges gets the whole
// file (200), so no request costs more than the file once. Because a key names fixed bytes, the ETag is the key and
// the response may be cached forever.
//
// The caller maps its public, unguessable id to key and mimeType; ServeBlob
// answers 404 for a key that is not stored and 405 for other methods. When the
// store fails it answers 503 and returns the error for the caller to log; it
// returns nil otherwise.
func ServeBlob(w http.ResponseWriter, r *http.Request, store Store, key, mimeType string) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	blob, bi, err := store.Open(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return nil
	}
	if err != nil {
		http.Error(w, "media temporarily unavailable", http.StatusServiceUnavailable)
		return err
	}
	defer blob.Close()
	h := w.Header()
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	h.Set("Content-Type", mimeType)
	h.Set("ETag", `"`+key+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	// The bytes were checked to be media; no browser may reinterpret them.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if rh := r.Header.Get("Range"); rh != "" {
		if limited := limitRanges(rh, bi.Size); limited == "" {
			r.Header.Del("Range")
		} else {
			r.Header.Set("Range", limited)
		}
	}
	http.ServeContent(w, r, "", bi.ModTime, blob)
	return nil
}
