package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

func newMedia(ws string, at time.Time, sha byte, size int64) *herald.Media {
	return &herald.Media{ID: herald.NewID(), WorkspaceID: ws, MediaInfo: herald.MediaInfo{SHA256: strings.Repeat(string("0123456789abcdef"[sha%16]), 64), MIME: "image/png", Kind: "image",
		Size: size, Width: 1200, Height: 800, Frames: 1}, SourceURL: "https://cdn.example/a.png", CreatedBy: "u", CreatedAt: at, TouchedAt: at}
}

func mediaIDs(ms []*herald.Media) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// links names the stored files ids as a post's attachments, in order.
func links(ids ...string) []herald.PostMedia {
	out := make([]herald.PostMedia, len(ids))
	for i, id := range ids {
		out[i] = herald.PostMedia{MediaID: id, SourceURL: "https://src.example/" + id}
	}
	return out
}

func testMedia(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "media@example.org")
	other := seed(t, s, "media-other@example.org")

	img := newMedia(f.ws.ID, now, 1, 1000)
	img.AltText, img.Orientation = "A cat 🐈", 6
	vid := &herald.Media{ID: herald.NewID(), WorkspaceID: f.ws.ID, MediaInfo: herald.MediaInfo{SHA256: strings.Repeat("2", 64), MIME: "video/mp4", Kind: "video", Size: 5000,
		Width: 1080, Height: 1920, Frames: 900, Duration: 30*time.Second + 40*time.Millisecond, FPS: 29.97, VideoCodec: "avc1.64001f", AudioCodec: "mp4a.40.2",
		Rotation: 90}, FileName: "clip.mp4", CreatedBy: f.user.ID, CreatedAt: now.Add(time.Minute), TouchedAt: now.Add(time.Minute)}
	must(t, s.CreateMedia(ctx, img))
	must(t, s.CreateMedia(ctx, vid))
	for _, want := range []*herald.Media{img, vid} {
		got, err := s.FindMediaByID(ctx, want.ID)
		must(t, err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindMediaByID (-want +got):\n%s", diff)
		}
	}
	_, err := s.FindMediaByID(ctx, "nope")
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, s.CreateMedia(ctx, img), herald.ECONFLICT)
	orphan := newMedia("no-such-workspace", now, 3, 1)
	wantCode(t, s.CreateMedia(ctx, orphan), herald.ENOTFOUND)

	// A derived copy, one per (original, network).
	der := newMedia(f.ws.ID, now, 4, 300)
	der.ParentID, der.Network, der.MIME, der.SourceURL, der.CreatedBy = img.ID, "bluesky", "image/jpeg", "", ""
	must(t, s.CreateMedia(ctx, der))
	got, err := s.FindMediaDerivative(ctx, img.ID, "bluesky")
	must(t, err)
	if diff := cmp.Diff(der, got); diff != "" {
		t.Errorf("FindMediaDerivative (-want +got):\n%s", diff)
	}
	_, err = s.FindMediaDerivative(ctx, img.ID, "instagram")
	wantCode(t, err, herald.ENOTFOUND)
	again := newMedia(f.ws.ID, now, 5, 1)
	again.ParentID, again.Network = img.ID, "bluesky"
	wantCode(t, s.CreateMedia(ctx, again), herald.ECONFLICT)

	// The library lists originals, newest first, one workspace at a time.
	twin := newMedia(f.ws.ID, now.Add(2*time.Minute), 1, 1000) // the same bytes as img
	must(t, s.CreateMedia(ctx, twin))
	must(t, s.CreateMedia(ctx, newMedia(other.ws.ID, now, 1, 1000)))
	list, err := s.FindMedia(ctx, herald.MediaFilter{WorkspaceID: f.ws.ID, Limit: 10})
	must(t, err)
	if diff := cmp.Diff([]string{twin.ID, vid.ID, img.ID}, mediaIDs(list)); diff != "" {
		t.Errorf("FindMedia (-want +got):\n%s", diff)
	}
	list, err = s.FindMedia(ctx, herald.MediaFilter{WorkspaceID: f.ws.ID, Offset: 1, Limit: 1})
	must(t, err)
	if diff := cmp.Diff([]string{vid.ID}, mediaIDs(list)); diff != "" {
		t.Errorf("FindMedia page 2 (-want +got):\n%s", diff)
	}
	_, err = s.FindMedia(ctx, herald.MediaFilter{WorkspaceID: f.ws.ID})
	wantCode(t, err, herald.EINVALID)

	// The same bytes are found again, the oldest original first.
	got, err = s.FindMediaBySHA256(ctx, f.ws.ID, img.SHA256)
	must(t, err)
	if got.ID != img.ID {
		t.Errorf("FindMediaBySHA256 = %s, want the oldest %s", got.ID, img.ID)
	}
	_, err = s.FindMediaBySHA256(ctx, f.ws.ID, der.SHA256) // a derived copy is not an original
	wantCode(t, err, herald.ENOTFOUND)

	n, err := s.WorkspaceMediaBytes(ctx, f.ws.ID)
	must(t, err)
	if want := img.Size + vid.Size + der.Size + twin.Size; n != want {
		t.Errorf("WorkspaceMediaBytes = %d, want %d (derived copies count)", n, want)
	}
	n, err = s.WorkspaceMediaBytes(ctx, "no-such-workspace")
	must(t, err)
	if n != 0 {
		t.Errorf("WorkspaceMediaBytes of nothing = %d", n)
	}

	must(t, s.UpdateMediaAltText(ctx, vid.ID, "A wave"))
	got, _ = s.FindMediaByID(ctx, vid.ID)
	if got.AltText != "A wave" {
		t.Errorf("alt text = %q", got.AltText)
	}
	wantCode(t, s.UpdateMediaAltText(ctx, "nope", "x"), herald.ENOTFOUND)
}

func testMediaUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "media-use@example.org")
	img, vid, spare := newMedia(f.ws.ID, now, 1, 10), newMedia(f.ws.ID, now, 2, 20), newMedia(f.ws.ID, now, 3, 30)
	for _, m := range []*herald.Media{img, vid, spare} {
		must(t, s.CreateMedia(ctx, m))
	}
	der := newMedia(f.ws.ID, now, 4, 5)
	der.ParentID, der.Network = img.ID, "instagram"
	must(t, s.CreateMedia(ctx, der))
	p := newPost(f, now, herald.StatusScheduled)
	must(t, s.CreatePost(ctx, p))

	touchedAt := func(id string) time.Time {
		t.Helper()
		m, err := s.FindMediaByID(ctx, id)
		must(t, err)
		return m.TouchedAt
	}
	uses := func(id string) []store.MediaUse {
		t.Helper()
		u, err := s.FindMediaUses(ctx, id)
		must(t, err)
		return u
	}

	t1 := now.Add(time.Hour)
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SetPostMedia(ctx, p.ID, links(img.ID, vid.ID, img.ID), t1) }))
	if diff := cmp.Diff([]store.MediaUse{{PostID: p.ID, Status: herald.StatusScheduled}}, uses(img.ID)); diff != "" {
		t.Errorf("FindMediaUses (-want +got):\n%s", diff)
	}
	if !touchedAt(img.ID).Equal(t1) || !touchedAt(vid.ID).Equal(t1) || !touchedAt(spare.ID).Equal(now) {
		t.Errorf("SetPostMedia touched img %v vid %v spare %v, want %v, %v, %v", touchedAt(img.ID), touchedAt(vid.ID), touchedAt(spare.ID), t1, t1, now)
	}

	// Taking a file out of a post touches it: its unused time starts now.
	t2 := t1.Add(time.Hour)
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SetPostMedia(ctx, p.ID, links(vid.ID), t2) }))
	if u := uses(img.ID); len(u) != 0 {
		t.Errorf("FindMediaUses after removal = %v", u)
	}
	if !touchedAt(img.ID).Equal(t2) {
		t.Errorf("released file touched at %v, want %v", touchedAt(img.ID), t2)
	}

	// A rolled-back change leaves the links as they were.
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		must(t, tx.SetPostMedia(ctx, p.ID, links(spare.ID), t2))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if u := uses(vid.ID); len(u) != 1 {
		t.Errorf("rolled back SetPostMedia changed the links: %v", u)
	}
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SetPostMedia(ctx, p.ID, links("no-such-media"), t2) }), herald.ENOTFOUND)

	// Unused: no post uses it and it was touched before the cutoff.
	unused, err := s.FindUnusedMedia(ctx, t2.Add(time.Millisecond), 10)
	must(t, err)
	if diff := cmp.Diff([]string{spare.ID, img.ID}, mediaIDs(unused)); diff != "" {
		t.Errorf("FindUnusedMedia (-want +got):\n%s", diff)
	}
	unused, err = s.FindUnusedMedia(ctx, t2, 10)
	must(t, err)
	if diff := cmp.Diff([]string{spare.ID}, mediaIDs(unused)); diff != "" {
		t.Errorf("FindUnusedMedia before the release (-want +got):\n%s", diff)
	}
	far := now.Add(1000 * time.Hour)
	for _, tc := range []struct {
		name   string
		id     string
		before time.Time
		want   bool
	}{
		{"in use", vid.ID, far, false},
		{"touched too recently", img.ID, t2, false},
		{"a derived copy", der.ID, far, false},
		{"unused", img.ID, t2.Add(time.Millisecond), true},
		{"already gone", img.ID, far, false},
	} {
		ok, err := s.DeleteMediaIfUnused(ctx, tc.id, tc.before)
		must(t, err)
		if ok != tc.want {
			t.Errorf("DeleteMediaIfUnused %s = %v, want %v", tc.name, ok, tc.want)
		}
	}
	_, err = s.FindMediaByID(ctx, der.ID)
	wantCode(t, err, herald.ENOTFOUND) // went with its original

	// DeleteMedia takes the file out of the posts that list it.
	must(t, s.DeleteMedia(ctx, vid.ID))
	if u := uses(vid.ID); len(u) != 0 {
		t.Errorf("FindMediaUses after DeleteMedia = %v", u)
	}
	if _, err := s.FindPostByID(ctx, p.ID); err != nil {
		t.Errorf("DeleteMedia deleted the post: %v", err)
	}
	wantCode(t, s.DeleteMedia(ctx, vid.ID), herald.ENOTFOUND)

	// Deleting a post releases its files.
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SetPostMedia(ctx, p.ID, links(spare.ID), t2) }))
	must(t, s.DeletePost(ctx, p.ID))
	if u := uses(spare.ID); len(u) != 0 {
		t.Errorf("FindMediaUses after DeletePost = %v", u)
	}
	must(t, s.TouchMedia(ctx, nil, far))
	must(t, s.TouchMedia(ctx, []string{spare.ID}, far))
	if !touchedAt(spare.ID).Equal(far) {
		t.Errorf("TouchMedia: touched at %v", touchedAt(spare.ID))
	}
}

func testMediaBlobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "media-blobs@example.org")
	a, b, c := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	for _, sha := range []string{c, b, a} {
		must(t, s.TouchMediaBlob(ctx, sha, 100, now))
	}
	m := newMedia(f.ws.ID, now, 11, 100) // names blob b
	must(t, s.CreateMedia(ctx, m))
	orphans := func(before time.Time) []string {
		t.Helper()
		o, err := s.FindOrphanMediaBlobs(ctx, before, 10)
		must(t, err)
		return o
	}
	if diff := cmp.Diff([]string{a, c}, orphans(now.Add(time.Millisecond))); diff != "" {
		t.Errorf("FindOrphanMediaBlobs (-want +got):\n%s", diff)
	}
	if o := orphans(now); len(o) != 0 {
		t.Errorf("FindOrphanMediaBlobs before they were touched = %v", o)
	}
	// Storing the bytes again touches the blob: it is young again.
	later := now.Add(time.Hour)
	must(t, s.TouchMediaBlob(ctx, c, 100, later))
	if diff := cmp.Diff([]string{a}, orphans(now.Add(time.Millisecond))); diff != "" {
		t.Errorf("FindOrphanMediaBlobs after a touch (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name   string
		sha    string
		before time.Time
		want   bool
	}{
		{"named by a media row", b, later, false},
		{"touched too recently", c, later, false},
		{"orphan", a, now.Add(time.Millisecond), true},
		{"already gone", a, later, false},
		{"orphan touched before", c, later.Add(time.Millisecond), true},
	} {
		ok, err := s.DeleteMediaBlobIfOrphan(ctx, tc.sha, tc.before)
		must(t, err)
		if ok != tc.want {
			t.Errorf("DeleteMediaBlobIfOrphan %s = %v, want %v", tc.name, ok, tc.want)
		}
	}
	// A touch in a transaction that rolls back leaves the blob collectable.
	must(t, s.TouchMediaBlob(ctx, a, 1, now))
	boom := errors.New("boom")
	if err := s.InTx(ctx, func(tx store.Tx) error {
		must(t, tx.TouchMediaBlob(ctx, a, 1, later))
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if diff := cmp.Diff([]string{a}, orphans(now.Add(time.Millisecond))); diff != "" {
		t.Errorf("FindOrphanMediaBlobs after a rolled-back touch (-want +got):\n%s", diff)
	}
}

// testMediaDeleteRace: a file deleted while a post starts using it (the
// post's transaction not yet committed) is reported in use, never "not
// found": PostgreSQL answered 404 when the foreign key of post_media caught
// the race.
func testMediaDeleteRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "media-race@example.org")
	p := newPost(f, now, herald.StatusScheduled)
	must(t, s.CreatePost(ctx, p))

	// startUsing links the file to the post in a transaction that stays
	// open until the returned release is called; wait returns its error.
	startUsing := func(id string) (release func(), wait func() error) {
		using, rel, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- s.InTx(ctx, func(tx store.Tx) error {
				err := tx.SetPostMedia(ctx, p.ID, links(id), now)
				close(using)
				<-rel
				return err
			})
		}()
		<-using
		return func() { close(rel) }, func() error { return <-done }
	}

	// A deletion that locks the file first waits for the post and sees
	// its use, as DeleteMedia in the app does.
	m := newMedia(f.ws.ID, now, 1, 10)
	must(t, s.CreateMedia(ctx, m))
	release, wait := startUsing(m.ID)
	timer := time.AfterFunc(300*time.Millisecond, release)
	defer timer.Stop()
	var uses []store.MediaUse
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.LockMedia(ctx, m.ID); err != nil {
			return err
		}
		var err error
		if uses, err = tx.FindMediaUses(ctx, m.ID); err != nil || len(uses) > 0 {
			return err
		}
		return tx.DeleteMedia(ctx, m.ID)
	})
	must(t, err)
	must(t, wait())
	if len(uses) != 1 || uses[0].PostID != p.ID {
		t.Errorf("uses seen under LockMedia = %v, want the post %s", uses, p.ID)
	}
	if _, err := s.FindMediaByID(ctx, m.ID); err != nil {
		t.Errorf("the file in use was deleted: %v", err)
	}
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockMedia(ctx, "no-such-media") }), herald.ENOTFOUND)

	// Without the lock the deletion is still never "not found": either it
	// ran after the post (SQLite's single writer) and took the file out of
	// it, or the foreign key caught the race, which is a conflict.
	m2 := newMedia(f.ws.ID, now, 2, 20)
	must(t, s.CreateMedia(ctx, m2))
	release, wait = startUsing(m2.ID)
	timer2 := time.AfterFunc(300*time.Millisecond, release)
	defer timer2.Stop()
	err = s.DeleteMedia(ctx, m2.ID)
	must(t, wait())
	if code := herald.ErrorCode(err); err != nil && code != herald.ECONFLICT {
		t.Errorf("DeleteMedia racing a new use = %v (%s), want success or %s", err, code, herald.ECONFLICT)
	}
}
