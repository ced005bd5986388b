package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// testPostMedia: a post's media are its links to the library's files, in
// one place. Order, source URLs and the post's own alt text round-trip; the
// kind and type are the file's; a deleted file is no longer named.
func testPostMedia(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "post-media@example.org")
	pr := profile(t, s, f.ws.ID, "mastodon", "pm")
	img, vid, gone := newMedia(f.ws.ID, now, 1, 10), newMedia(f.ws.ID, now, 2, 20), newMedia(f.ws.ID, now, 3, 30)
	vid.MIME, vid.Kind = "video/mp4", "video"
	img.AltText = "the library's words"
	for _, m := range []*herald.Media{img, vid, gone} {
		must(t, s.CreateMedia(ctx, m))
	}

	p := newPost(f, now, herald.StatusPosted, pr)
	p.Media = []herald.PostMedia{
		{MediaID: vid.ID, SourceURL: "https://src.example/v.mp4", AltText: "A wave 🌊"},
		{MediaID: gone.ID, SourceURL: "https://src.example/g.png"},
		{MediaID: img.ID, SourceURL: "https://src.example/i.png", AltText: "the post's words"},
		{MediaID: img.ID, SourceURL: "https://src.example/i-again.png"}, // the same file twice
	}
	created := now.Add(time.Minute)
	p.CreatedAt, p.UpdatedAt = created, created
	must(t, s.CreatePost(ctx, p))
	want := []herald.PostMedia{
		{MediaID: vid.ID, SourceURL: "https://src.example/v.mp4", Kind: "video", MIME: "video/mp4", AltText: "A wave 🌊"},
		{MediaID: gone.ID, SourceURL: "https://src.example/g.png", Kind: "image", MIME: "image/png"},
		{MediaID: img.ID, SourceURL: "https://src.example/i.png", Kind: "image", MIME: "image/png", AltText: "the post's words"},
		{MediaID: img.ID, SourceURL: "https://src.example/i-again.png", Kind: "image", MIME: "image/png"},
	}
	postMedia := func(what string, want []herald.PostMedia) {
		t.Helper()
		got, err := s.FindPostByID(ctx, p.ID)
		must(t, err)
		if diff := cmp.Diff(want, got.Media); diff != "" {
			t.Errorf("%s: FindPostByID media (-want +got):\n%s", what, diff)
		}
		list, err := s.FindPosts(ctx, herald.PostFilter{WorkspaceID: f.ws.ID, Limit: 10})
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("FindPosts = %d posts, want 1", len(list))
		}
		if diff := cmp.Diff(want, list[0].Media); diff != "" {
			t.Errorf("%s: FindPosts media (-want +got):\n%s", what, diff)
		}
	}
	postMedia("created", want)
	for _, m := range []*herald.Media{img, vid, gone} {
		got, err := s.FindMediaByID(ctx, m.ID)
		must(t, err)
		if !got.TouchedAt.Equal(created) {
			t.Errorf("CreatePost touched %s at %v, want %v", m.ID, got.TouchedAt, created)
		}
	}

	// The post keeps the alt text it was given when the library's changes.
	must(t, s.UpdateMediaAltText(ctx, img.ID, "new library words"))
	postMedia("library alt text changed", want)

	// A deleted file is taken out of the post: its media no longer name it.
	must(t, s.DeleteMedia(ctx, gone.ID))
	want = append(want[:1:1], want[2:]...)
	postMedia("file deleted", want)

	// SetPostMedia replaces the list; UpdatePost leaves it alone.
	want = []herald.PostMedia{
		{MediaID: img.ID, SourceURL: "https://src.example/i.png", Kind: "image", MIME: "image/png", AltText: "first"},
		{SourceURL: "https://old.example/never-stored.png"}, // saved before Herald stored files
		{MediaID: vid.ID, SourceURL: "https://src.example/v.mp4", Kind: "video", MIME: "video/mp4"},
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SetPostMedia(ctx, p.ID, want, now) }))
	p.Media, p.Caption = nil, "changed"
	must(t, s.UpdatePost(ctx, p))
	postMedia("replaced", want)

	// A post published to a profile comes with its media too.
	must(t, s.UpdatePostTarget(ctx, func() *herald.PostTarget {
		tg := p.Targets[0]
		tg.State, tg.PublishedAt = herald.TargetPublished, &created
		return tg
	}()))
	pub, err := s.FindPostsPublishedTo(ctx, pr.ID, 10)
	must(t, err)
	if len(pub) != 1 || !cmp.Equal(want, pub[0].Media) {
		t.Errorf("FindPostsPublishedTo = %d posts, media %+v; want 1 with %+v", len(pub), pub, want)
	}

	// A file that does not exist is refused, and nothing is stored.
	missing := herald.PostMedia{MediaID: herald.NewID(), SourceURL: "https://src.example/m.png"}
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.SetPostMedia(ctx, p.ID, []herald.PostMedia{missing}, now) })
	wantCode(t, err, herald.ENOTFOUND)
	if !errors.Is(err, store.ErrNoSuchMedia) {
		t.Errorf("SetPostMedia of a missing file = %v, want store.ErrNoSuchMedia", err)
	}
	postMedia("refused change", want)
	q := newPost(f, now, herald.StatusDraft)
	q.Media = []herald.PostMedia{missing}
	err = s.CreatePost(ctx, q)
	if !errors.Is(err, store.ErrNoSuchMedia) {
		t.Errorf("CreatePost naming a missing file = %v, want store.ErrNoSuchMedia", err)
	}
}

// MigratePostMedia tests migration 0009, which moves a post's media from
// the JSON column posts.media into post_media alone. s is a store migrated
// up to version 8; exec runs SQL on it; finish applies the remaining
// migrations.
func MigratePostMedia(t *testing.T, s store.Store, exec func(query string) error, finish func() error) {
	ctx := context.Background()
	f := seed(t, s, "migrate-media@example.org")
	a, b, c := newMedia(f.ws.ID, now, 1, 10), newMedia(f.ws.ID, now, 2, 20), newMedia(f.ws.ID, now, 3, 30)
	a.AltText = "library words"
	for _, m := range []*herald.Media{a, b, c} {
		must(t, s.CreateMedia(ctx, m))
	}
	post := func(media string) string {
		t.Helper()
		id := herald.NewID()
		must(t, exec(fmt.Sprintf(`INSERT INTO posts (id, workspace_id, created_by, post_type, status, caption, media, options, version, created_at, updated_at)
			VALUES ('%s', '%s', '%s', 'REGULAR', 'POSTED', 'hi', '%s', '{}', 0, %d, %d)`, id, f.ws.ID, f.user.ID, media, now.UnixMilli(), now.UnixMilli())))
		return id
	}
	// A post as Herald stored it until now: the JSON, and a link per file.
	stored := post(fmt.Sprintf(`[{"url":"https://h/media/%[1]s.png","sourceUrl":"https://src/a.png","mediaId":"%[1]s","kind":"image","mime":"image/png","altText":"post words"},`+
		`{"url":"https://h/media/%[2]s.png","sourceUrl":"https://src/c.png","mediaId":"%[2]s","kind":"image","mime":"image/png"},`+
		`{"url":"https://h/media/%[3]s.png","sourceUrl":"https://src/b.png","mediaId":"%[3]s","kind":"image","mime":"image/png"}]`, a.ID, c.ID, b.ID))
	for i, id := range []string{a.ID, c.ID, b.ID} {
		must(t, exec(fmt.Sprintf(`INSERT INTO post_media (post_id, position, media_id) VALUES ('%s', %d, '%s')`, stored, i, id)))
	}
	// The file in the middle is deleted: the link goes, the JSON kept it.
	must(t, exec(fmt.Sprintf(`DELETE FROM post_media WHERE media_id = '%s'`, c.ID)))
	must(t, exec(fmt.Sprintf(`DELETE FROM media WHERE id = '%s'`, c.ID)))
	// A post saved before Herald stored files: the JSON alone.
	legacy := post(`[{"url":"https://old/x.mp4","sourceUrl":"https://old/x.mp4","kind":"video"}]`)
	empty := post(`[]`)

	must(t, finish())

	for _, tc := range []struct {
		name, id string
		want     []herald.PostMedia
	}{
		{"stored", stored, []herald.PostMedia{
			{MediaID: a.ID, SourceURL: "https://src/a.png", Kind: "image", MIME: "image/png", AltText: "post words"},
			{MediaID: b.ID, SourceURL: "https://src/b.png", Kind: "image", MIME: "image/png"},
		}},
		{"legacy", legacy, []herald.PostMedia{{SourceURL: "https://old/x.mp4"}}},
		{"empty", empty, []herald.PostMedia{}},
	} {
		got, err := s.FindPostByID(ctx, tc.id)
		must(t, err)
		if diff := cmp.Diff(tc.want, got.Media); diff != "" {
			t.Errorf("%s post's media after the migration (-want +got):\n%s", tc.name, diff)
		}
	}
	uses, err := s.FindMediaUses(ctx, b.ID)
	must(t, err)
	if len(uses) != 1 || uses[0].PostID != stored {
		t.Errorf("FindMediaUses after the migration = %v, want the post %s", uses, stored)
	}
	// The links are the one list: changing it changes what the post names.
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		return tx.SetPostMedia(ctx, stored, []herald.PostMedia{{MediaID: b.ID, SourceURL: "https://src/b.png"}}, now)
	}))
	got, err := s.FindPostByID(ctx, stored)
	must(t, err)
	if len(got.Media) != 1 || got.Media[0].MediaID != b.ID {
		t.Errorf("media after SetPostMedia = %+v, want b alone", got.Media)
	}
}
