package integration

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/testpeer"
)

// blueskySide is the PDS half of the test: alice, whose account is
// connected to Herald with an app password, and bob, whom her posts
// mention; and alice's profile in the Herald under test.
type blueskySide struct {
	pds         *testpeer.PDS
	alice, bob  pdsUser
	appPassword string
	reader      *pdsReader
	profileID   string
}

// newBlueskySide makes alice and bob on the PDS, and an app password for
// alice as she would make one in the app's settings.
func newBlueskySide(t *testing.T, pds *testpeer.PDS) *blueskySide {
	t.Helper()
	b := &blueskySide{pds: pds, reader: newPDSReader(pds)}
	b.alice = newPDSUser(t, pds, "alice")
	b.bob = newPDSUser(t, pds, "bob")
	b.appPassword = pds.CreateAppPassword(t, b.alice.Handle, b.alice.Password, "Herald")
	return b
}

// connect connects alice's account to Herald with POST /social-profiles
// and returns the side with her profile in that Herald. A wrong app
// password is refused first, with the PDS's reason.
func (b blueskySide) connect(t *testing.T, h *heraldServer) *blueskySide {
	t.Helper()
	_, err := h.api.ConnectProfile(t.Context(), h.workspace, client.ProfileCredentials{
		Provider: "bluesky", Handle: b.alice.Handle, AppPassword: "aaaa-bbbb-cccc-dddd", Service: b.pds.URL(),
	})
	if apiStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "Invalid identifier or password") {
		t.Errorf("connecting with a wrong app password: %v; want a 400 with the PDS's reason (Invalid identifier or password)", err)
	}

	began := time.Now()
	prof, err := h.api.ConnectProfile(t.Context(), h.workspace, client.ProfileCredentials{
		Provider: "bluesky", Handle: b.alice.Handle, AppPassword: b.appPassword, Service: b.pds.URL(),
	})
	if err != nil {
		t.Fatalf("POST /social-profiles (bluesky %s): %v", b.alice.Handle, err)
	}
	t.Logf("connected %s with an app password in %s", b.alice.Handle, time.Since(began).Round(time.Millisecond))
	want := client.SocialProfile{ID: prof.ID, Provider: "bluesky", Name: "@" + b.alice.Handle, WorkspaceID: h.workspace, Status: "connected"}
	if diff := cmp.Diff(want, *prof); diff != "" {
		t.Errorf("POST /social-profiles answer (-want +got):\n%s", diff)
	}
	requireProfileListed(t, h, want)
	b.profileID = prof.ID
	return &b
}

// richCaption has a link, a mention of bob by handle, a hashtag and emoji,
// with multi-byte text before and between them (so UTF-8 byte offsets
// differ from character offsets); the comma after the link and the "!"
// after the mention are not part of them.
func (b *blueskySide) richCaption() string {
	return fmt.Sprintf("Grüße from Herald 🎉 see %s, hi @%s! #HeraldTest ✨", testLink, b.bob.Handle)
}

// record reads the published target's record from the PDS, after checking
// what Herald recorded of it.
func (b *blueskySide) record(t *testing.T, g *client.PostGroup, p scheduled) bskyRecord {
	t.Helper()
	tg := requirePublished(t, g, b.profileID)
	rec := b.reader.record(t, *tg.RemoteID)
	did, collection, rkey := splitATURI(t, *tg.RemoteID)
	if did != b.alice.DID || collection != "app.bsky.feed.post" || rec.URI != *tg.RemoteID {
		t.Errorf("Herald's remoteId %q, the record's uri %q; want a post of %s", *tg.RemoteID, rec.URI, b.alice.DID)
	}
	if want := "https://bsky.app/profile/" + b.alice.Handle + "/post/" + rkey; *tg.PublishedURL != want {
		t.Errorf("Herald's publishedUrl %q, want %q", *tg.PublishedURL, want)
	}
	if rec.Value.Type != "app.bsky.feed.post" {
		t.Errorf("record $type %q", rec.Value.Type)
	}
	if rec.Value.Text != p.caption {
		t.Errorf("record text = %q, want the caption %q", rec.Value.Text, p.caption)
	}
	created, err := time.Parse(time.RFC3339Nano, rec.Value.CreatedAt)
	if err != nil {
		t.Errorf("record createdAt %q: %v", rec.Value.CreatedAt, err)
		return rec
	}
	if created.Before(p.at.Add(-time.Second)) || created.After(time.Now()) {
		t.Errorf("record createdAt %s, want between scheduledAt %s and now", created, p.at)
	}
	if !tg.PublishedAt.Equal(created) {
		t.Errorf("Herald's publishedAt %s, the record's createdAt %s", tg.PublishedAt, created)
	}
	return rec
}

// checkRich checks the rich-text record: exact text and facets whose UTF-8
// byte ranges cover the link, the mention (with bob's DID as the PDS
// resolves his handle) and the hashtag.
func (b *blueskySide) checkRich(t *testing.T, g *client.PostGroup, p scheduled) {
	rec := b.record(t, g, p)
	if rec.Value.Embed != nil {
		t.Errorf("record has an embed %+v, want none", rec.Value.Embed)
	}
	// Go's string offsets are UTF-8 byte offsets, as facets are.
	facet := func(s string, feature map[string]string) bskyFacet {
		i := strings.Index(p.caption, s)
		if i < 0 {
			t.Fatalf("%q not in the caption", s)
		}
		var f bskyFacet
		f.Index.ByteStart, f.Index.ByteEnd = i, i+len(s)
		f.Features = []map[string]string{feature}
		return f
	}
	bobDID := b.reader.resolveHandle(t, b.bob.Handle)
	if bobDID != b.bob.DID {
		t.Fatalf("the PDS resolves %s to %s, not the DID it created (%s)", b.bob.Handle, bobDID, b.bob.DID)
	}
	want := []bskyFacet{
		facet(testLink, map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": testLink}),
		facet("@"+b.bob.Handle, map[string]string{"$type": "app.bsky.richtext.facet#mention", "did": bobDID}),
		facet("#HeraldTest", map[string]string{"$type": "app.bsky.richtext.facet#tag", "tag": "HeraldTest"}),
	}
	if start := want[0].Index.ByteStart; utf8.RuneCountInString(p.caption[:start]) == start {
		t.Fatal("the caption must have multi-byte characters before the link, or byte offsets are not tested")
	}
	if diff := cmp.Diff(want, rec.Value.Facets); diff != "" {
		t.Errorf("record facets (-want +got):\n%s", diff)
		for _, f := range rec.Value.Facets {
			if 0 <= f.Index.ByteStart && f.Index.ByteStart <= f.Index.ByteEnd && f.Index.ByteEnd <= len(rec.Value.Text) {
				t.Logf("  facet [%d,%d) covers %q", f.Index.ByteStart, f.Index.ByteEnd, rec.Value.Text[f.Index.ByteStart:f.Index.ByteEnd])
			}
		}
	}
}

// checkImages checks the record with images: an images embed, in order,
// each with its alt text, aspect ratio and a blob whose bytes are the
// file's.
func (b *blueskySide) checkImages(t *testing.T, g *client.PostGroup, p scheduled) {
	rec := b.record(t, g, p)
	if len(rec.Value.Facets) != 0 {
		t.Errorf("record facets %+v, want none", rec.Value.Facets)
	}
	if rec.Value.Embed == nil || rec.Value.Embed.Type != "app.bsky.embed.images" {
		t.Fatalf("record embed %+v, want app.bsky.embed.images", rec.Value.Embed)
	}
	type shown struct {
		Alt      string
		Ratio    [2]int
		BlobType string
		MIME     string
		Size     int
		SHA256   [32]byte
	}
	var got, want []shown
	for _, im := range p.images {
		want = append(want, shown{Alt: im.alt, Ratio: [2]int{im.width, im.height}, BlobType: "blob", MIME: im.mime, Size: len(im.bytes), SHA256: im.sha256()})
	}
	for _, e := range rec.Value.Embed.Images {
		s := shown{Alt: e.Alt, BlobType: e.Image.Type, MIME: e.Image.MimeType, Size: e.Image.Size}
		if e.AspectRatio != nil {
			s.Ratio = [2]int{e.AspectRatio.Width, e.AspectRatio.Height}
		}
		if e.Image.Ref.Link != "" {
			s.SHA256 = sha256.Sum256(b.reader.blob(t, b.alice.DID, e.Image.Ref.Link))
		}
		got = append(got, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record images, in order, with their blobs' bytes (-want +got):\n%s", diff)
	}
}

// checkText checks the record's text only.
func (b *blueskySide) checkText(t *testing.T, g *client.PostGroup, p scheduled) {
	b.record(t, g, p)
}

// countRecords counts alice's post records whose text is text (among her
// latest 100; the test makes fewer).
func (b *blueskySide) countRecords(t *testing.T, text string) int {
	t.Helper()
	return b.reader.countPosts(t, b.alice.DID, text)
}

// checkGone checks that a deleted record disappears from the PDS.
func (b *blueskySide) checkGone(t *testing.T, remoteID string) {
	t.Helper()
	var status int
	var body []byte
	if !eventually(t, goneTimeout, func() bool {
		status, body = b.reader.getRecord(t, remoteID)
		return status == http.StatusBadRequest && strings.Contains(string(body), "RecordNotFound")
	}) {
		t.Errorf("record %s still on the PDS %s after DELETE ?remote=true: status %d %.300s", remoteID, goneTimeout, status, body)
	}
}
