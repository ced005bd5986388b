package integration

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // decode what GoToSocial serves
	_ "image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/testpeer"
)

// mastodonSide is the GoToSocial half of the test: alice, whose account is
// connected to Herald, and bob, whom her posts mention, each with a reader
// of their own; and alice's profile in the Herald under test.
type mastodonSide struct {
	gts              *testpeer.GoToSocial
	alice, bob       gtsUser
	aliceAPI, bobAPI *gtsClient
	profileID        string
}

// newMastodonSide makes alice on the server. Bob is the server's ready-made
// user: making another costs seconds of CPU.
func newMastodonSide(t *testing.T, gts *testpeer.GoToSocial) *mastodonSide {
	t.Helper()
	m := &mastodonSide{gts: gts}
	m.alice, m.aliceAPI = newGTSUser(t, gts, "alice")
	m.bob, m.bobAPI = gtsReader(t, gts, gts.Account())
	return m
}

// connect connects alice's account to Herald through the web pages (see
// connectMastodon) and returns the side with her profile in that Herald.
func (m mastodonSide) connect(t *testing.T, h *heraldServer) *mastodonSide {
	t.Helper()
	began := time.Now()
	m.profileID = connectMastodon(t, h, m.gts, m.alice)
	t.Logf("connected %s through Herald's and GoToSocial's pages in %s", m.alice.Username, time.Since(began).Round(time.Millisecond))
	requireProfileListed(t, h, client.SocialProfile{ID: m.profileID, Provider: "mastodon", Name: wantMastodonName(m.gts, m.alice), WorkspaceID: h.workspace, Status: "connected"})
	return &m
}

func (m *mastodonSide) host() string { return strings.TrimPrefix(m.gts.URL(), "http://") }

// richCaption has a link, a mention of bob in the @user@domain form, a
// hashtag and emoji, with multi-byte text before and between them; the
// comma after the link and the "!" after the mention are not part of them.
func (m *mastodonSide) richCaption() string {
	return fmt.Sprintf("Grüße from Herald 🎉 see %s, hi @%s@%s! #HeraldTest ✨", testLink, m.bob.Username, m.host())
}

// status reads the published target's status from the server as alice,
// after checking what Herald recorded of it.
func (m *mastodonSide) status(t *testing.T, g *client.PostGroup) mastoStatus {
	t.Helper()
	tg := requirePublished(t, g, m.profileID)
	var st mastoStatus
	m.aliceAPI.get(t, "/api/v1/statuses/"+*tg.RemoteID, http.StatusOK, &st)
	if st.ID != *tg.RemoteID {
		t.Errorf("status id %q, Herald's remoteId %q", st.ID, *tg.RemoteID)
	}
	if st.URL == "" || *tg.PublishedURL != st.URL {
		t.Errorf("Herald's publishedUrl %q, the status's url %q", *tg.PublishedURL, st.URL)
	}
	if !tg.PublishedAt.Equal(st.CreatedAt) {
		t.Errorf("Herald's publishedAt %s, the status's created_at %s", tg.PublishedAt, st.CreatedAt)
	}
	if st.Account.ID != m.alice.ID {
		t.Errorf("status posted by %s (%s), want %s", st.Account.Username, st.Account.ID, m.alice.Username)
	}
	return st
}

// checkRich checks the status of the rich-text post field by field.
func (m *mastodonSide) checkRich(t *testing.T, g *client.PostGroup, p scheduled) {
	st := m.status(t, g)
	if st.Text == nil || *st.Text != p.caption {
		t.Errorf("status source text = %q, want the caption %q", deref(st.Text), p.caption)
	}
	// What readers see: the caption, with the local mention shown as
	// @user, emoji and accents intact.
	text, links := contentOf(t, st.Content)
	wantText := strings.Replace(p.caption, "@"+m.bob.Username+"@"+m.host(), "@"+m.bob.Username, 1)
	if text != wantText {
		t.Errorf("status content reads %q, want %q (content %s)", text, wantText, st.Content)
	}
	if len(st.Tags) != 1 || !strings.EqualFold(st.Tags[0].Name, "HeraldTest") || !strings.HasPrefix(st.Tags[0].URL, m.gts.URL()+"/tags/") {
		t.Fatalf("status tags = %+v, want one tag HeraldTest on %s", st.Tags, m.gts.URL())
	}
	wantLinks := []anchor{
		{Kind: "link", Href: testLink, Text: testLink},
		{Kind: "mention", Href: m.bob.URL, Text: "@" + m.bob.Username},
		{Kind: "hashtag", Href: st.Tags[0].URL, Text: "#HeraldTest"},
	}
	if diff := cmp.Diff(wantLinks, links); diff != "" {
		t.Errorf("links in the status content (-want +got):\n%s\ncontent: %s", diff, st.Content)
	}
	wantMentions := []mastoMention{{ID: m.bob.ID, Username: m.bob.Username, Acct: m.bob.Username, URL: m.bob.URL}}
	if diff := cmp.Diff(wantMentions, st.Mentions); diff != "" {
		t.Errorf("status mentions (-want +got):\n%s", diff)
	}
	// Herald's API has no visibility setting: the status takes the
	// account's default, as a post written in the user's app would.
	if st.Visibility != m.alice.Privacy {
		t.Errorf("status visibility %q, want the account's default %q", st.Visibility, m.alice.Privacy)
	}
	if len(st.MediaAttachments) != 0 || st.Sensitive || st.Spoiler != "" {
		t.Errorf("status has attachments %v, sensitive %v, spoiler %q; want none", st.MediaAttachments, st.Sensitive, st.Spoiler)
	}

	// The mention reached bob: GoToSocial notified him.
	var notified []struct {
		Type   string `json:"type"`
		Status struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	if !eventually(t, goneTimeout, func() bool {
		m.bobAPI.get(t, "/api/v1/notifications?types[]=mention", http.StatusOK, &notified)
		for _, n := range notified {
			if n.Type == "mention" && n.Status.ID == st.ID {
				return true
			}
		}
		return false
	}) {
		t.Errorf("%s has no mention notification for status %s within %s: %+v", m.bob.Username, st.ID, goneTimeout, notified)
	}
}

// checkImages checks the status of the post with images: the attachments
// in order, with their alt text and size, and the files GoToSocial serves.
func (m *mastodonSide) checkImages(t *testing.T, g *client.PostGroup, p scheduled) {
	st := m.status(t, g)
	if st.Text == nil || *st.Text != p.caption {
		t.Errorf("status source text = %q, want %q", deref(st.Text), p.caption)
	}
	type shown struct {
		Type          string
		Alt           string
		Width, Height int
	}
	var got, want []shown
	for _, im := range p.images {
		want = append(want, shown{Type: "image", Alt: im.alt, Width: im.width, Height: im.height})
	}
	for _, a := range st.MediaAttachments {
		got = append(got, shown{Type: a.Type, Alt: deref(a.Description), Width: a.Meta.Original.Width, Height: a.Meta.Original.Height})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("status attachments, in order (-want +got):\n%s", diff)
	}
	hc := &http.Client{Timeout: requestTimeout}
	for i, a := range st.MediaAttachments {
		resp, err := hc.Get(a.URL)
		if err != nil {
			t.Fatalf("attachment %d: GET %s: %v", i, a.URL, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		if resp.StatusCode != http.StatusOK || err != nil || cfg.Width != p.images[i].width || cfg.Height != p.images[i].height {
			t.Errorf("attachment %d at %s: status %d, %s %dx%d (%v); want a %dx%d image", i, a.URL, resp.StatusCode, format, cfg.Width, cfg.Height, err, p.images[i].width, p.images[i].height)
		}
	}
}

// checkText checks a status's source text only.
func (m *mastodonSide) checkText(t *testing.T, g *client.PostGroup, p scheduled) {
	st := m.status(t, g)
	if st.Text == nil || *st.Text != p.caption {
		t.Errorf("status source text = %q, want %q", deref(st.Text), p.caption)
	}
}

// countStatuses counts alice's statuses whose source text is text (among
// her latest 40; the test makes fewer).
func (m *mastodonSide) countStatuses(t *testing.T, text string) int {
	t.Helper()
	var list []mastoStatus
	m.aliceAPI.get(t, "/api/v1/accounts/"+m.alice.ID+"/statuses?limit=40", http.StatusOK, &list)
	n := 0
	for _, st := range list {
		if st.Text != nil && *st.Text == text {
			n++
		}
	}
	return n
}

// checkGone checks that a deleted status disappears from the server.
func (m *mastodonSide) checkGone(t *testing.T, remoteID string) {
	t.Helper()
	var status int
	if !eventually(t, goneTimeout, func() bool {
		status = m.aliceAPI.status(t, "/api/v1/statuses/"+remoteID)
		return status == http.StatusNotFound
	}) {
		t.Errorf("status %s still on GoToSocial %s after DELETE ?remote=true (GET answers %d)", remoteID, goneTimeout, status)
	}
}
