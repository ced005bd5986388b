// Package logging builds Herald's slog handler: the one the operator chose
// (text or JSON), wrapped so that every line logged with a context carries
// that context's request id and the post and target being worked on.
package logging

import (
	"context"
	"io"
	"log/slog"

	"github.com/heraldhq/herald"
)

// New returns a logger writing to w in format "json" or text at level.
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(NewHandler(h))
}

// NewHandler wraps h so that records logged with a context get the
// context's request_id, post_id and target_id attributes.
func NewHandler(h slog.Handler) slog.Handler { return contextHandler{h} }

type contextHandler struct{ slog.Handler }

// Handle adds the context's ids to the record, unless the record names them
// already.
func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		have := map[string]bool{}
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "request_id", "post_id", "target_id":
				have[a.Key] = true
			}
			return true
		})
		add := func(key, value string) {
			if value != "" && !have[key] {
				r.AddAttrs(slog.String(key, value))
			}
		}
		add("request_id", herald.RequestIDFromContext(ctx))
		post, target := herald.TargetFromContext(ctx)
		add("post_id", post)
		add("target_id", target)
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
