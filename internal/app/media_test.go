package app_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/media"
	"github.com/heraldhq/herald/internal/store"
)

// racingStore runs before once, just before the next transaction starts.
type racingStore struct {
	store.Store
	before func()
}

func (s *racingStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	if f := s.before; f != nil {
		s.before = nil
		f()
	}
	return s.Store.InTx(ctx, fn)
}

// TestCreatePostWhoseFileIsDeletedMeanwhile: a file deleted between the
// checks of a new post's media and the transaction that stores the post is
// a conflict to retry (409), not a missing record (404), and no post is
// stored.
func TestCreatePostWhoseFileIsDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		rs := &racingStore{Store: e.store}
		blobs, err := media.NewLocalStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		a := apptest.New(t, app.ServicesConfig{Store: rs, Config: app.Config{PublicURL: "http://herald.test"}, Now: time.Now,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Media: app.NewMediaService(app.MediaConfig{Store: blobs})})
		now := time.Now().UTC().Truncate(time.Millisecond)
		m := &herald.Media{ID: herald.NewID(), WorkspaceID: e.ws, MediaInfo: herald.MediaInfo{SHA256: strings.Repeat("a", 64), MIME: "image/png", Kind: "image",
			Size: 10, Width: 4, Height: 3, Frames: 1}, CreatedAt: now, TouchedAt: now}
		if err := e.store.CreateMedia(e.ctx, m); err != nil {
			t.Fatal(err)
		}
		rs.before = func() {
			if err := e.store.DeleteMedia(e.ctx, m.ID); err != nil {
				t.Error(err)
			}
		}
		_, err = a.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "x", MediaURLs: []string{a.MediaURL(m)}})
		if herald.ErrorCode(err) != herald.ECONFLICT || !strings.Contains(herald.ErrorMessage(err), "deleted while the post was saved") {
			t.Errorf("CreatePost = %v (%s), want a conflict saying the file was deleted", err, herald.ErrorCode(err))
		}
		posts, err := e.store.FindPosts(e.ctx, herald.PostFilter{WorkspaceID: e.ws, Limit: 10})
		if err != nil || len(posts) != 0 {
			t.Errorf("posts after the refusal = %d, %v; want none", len(posts), err)
		}
	})
}
