package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/testpeer"
)

// testLink is the link the rich-text posts carry; the query string and
// the comma that follows it in the captions are part of what is tested.
const testLink = "https://example.org/launch?ref=herald"

const (
	// scheduleLead is how far ahead the tests schedule posts: enough to be
	// a real scheduled publication (stored, queued, picked up at its time),
	// short enough to keep the run quick.
	scheduleLead = 3 * time.Second
	// settleTimeout bounds the wait for every target of a post to be
	// published or to fail: the lead, the queue's polling, uploads to the
	// servers, and a margin for a loaded machine.
	settleTimeout = 90 * time.Second
	// goneTimeout bounds the wait for a deleted post to disappear from a
	// server.
	goneTimeout = 15 * time.Second
)

// TestPublish is the end-to-end proof: Herald connects an account on a
// real GoToSocial server (through the OAuth sign-in and authorize pages)
// and on a real Bluesky PDS (with an app password), publishes scheduled
// posts to them (text with a link, a mention, a hashtag and emoji; two
// images, one with alt text uploaded to the library and one downloaded
// from a URL; one post to both networks; captions at and just over each
// server's text limit), every field is read back from the servers with
// clients of the test's own, each post is checked to be there exactly
// once, and deleting with ?remote=true removes the posts from the servers.
//
// It runs Herald on SQLite, and on PostgreSQL too when
// HERALD_TEST_DATABASE_URL is set, against the same servers and users. The
// servers start once, at the same time (GoToSocial takes about 10-15 s,
// the PDS about 6-8 s), and each Herald's posts are scheduled together and
// waited for once, so the test takes about half a minute on two cores.
func TestPublish(t *testing.T) {
	began := time.Now()
	var gts *testpeer.GoToSocial
	var pds *testpeer.PDS
	t.Run("start servers", func(t *testing.T) {
		t.Run("GoToSocial", func(t *testing.T) {
			t.Parallel()
			gts = peers.GoToSocial(t)
			t.Logf("GoToSocial ready at %s after %s", gts.URL(), time.Since(began).Round(time.Millisecond))
		})
		t.Run("PDS", func(t *testing.T) {
			t.Parallel()
			pds = peers.PDS(t)
			t.Logf("PDS ready at %s (PLC %s) after %s", pds.URL(), pds.PLCURL(), time.Since(began).Round(time.Millisecond))
		})
	})
	if t.Failed() {
		t.FailNow()
	}
	if gts == nil || pds == nil {
		t.Skip("the test servers are not installed (see the skipped subtests); run .ci/peers")
	}
	showLogOnFailure(t, "GoToSocial", gts.LogPath())
	showLogOnFailure(t, "PDS", pds.LogPath())

	phase := time.Now()
	var m *mastodonSide
	var b *blueskySide
	t.Run("make users", func(t *testing.T) {
		t.Run("GoToSocial", func(t *testing.T) {
			t.Parallel()
			m = newMastodonSide(t, gts)
		})
		t.Run("PDS", func(t *testing.T) {
			t.Parallel()
			b = newBlueskySide(t, pds)
		})
	})
	if m == nil && b == nil {
		t.Fatal("no user could be made on either server")
	}
	t.Logf("users made in %s", time.Since(phase).Round(time.Millisecond))

	for _, be := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			flags := []string{"--bluesky-plc-url", pds.PLCURL()}
			if be.postgres {
				flags = append(flags, "--database-url", pgtest.URL(t)) // skips without HERALD_TEST_DATABASE_URL
			}
			publishAndCheck(t, be.name, flags, m, b)
		})
	}
	t.Cleanup(func() { t.Logf("TestPublish took %s", time.Since(began).Round(time.Millisecond)) })
}

// publishAndCheck starts a Herald with flags, connects alice's accounts (of
// the sides that exist), publishes every kind of post, checks them on the
// servers and deletes them. Every caption ends with label, so that the
// posts of each Herald can be told apart on the shared accounts.
func publishAndCheck(t *testing.T, label string, flags []string, mUsers *mastodonSide, bUsers *blueskySide) {
	phase := time.Now()
	h := startHerald(t, flags...)
	t.Logf("Herald listening at %s after %s", h.root, time.Since(phase).Round(time.Millisecond))

	phase = time.Now()
	var m *mastodonSide
	var b *blueskySide
	t.Run("connect", func(t *testing.T) {
		if mUsers != nil {
			t.Run("mastodon through the OAuth pages", func(t *testing.T) {
				t.Parallel()
				m = mUsers.connect(t, h)
			})
		}
		if bUsers != nil {
			t.Run("bluesky with an app password", func(t *testing.T) {
				t.Parallel()
				b = bUsers.connect(t, h)
			})
		}
	})
	if m == nil && b == nil {
		t.Fatal("no profile connected; nothing to publish to")
	}
	t.Logf("profiles connected in %s", time.Since(phase).Round(time.Millisecond))

	pngImage := makeImage(t, "image/png", 64, 48)
	pngImage.alt = "A gradient of reds and greens, 64 by 48 pixels 🌈"
	uploadImage(t, h, &pngImage, "gradient.png")
	jpegImage := makeImage(t, "image/jpeg", 80, 60)
	serveImage(t, &jpegImage, "photo.jpg") // downloaded by Herald; no alt text
	images := []testImage{pngImage, jpegImage}
	tag := " · " + label
	imagesCaption := "Two pictures from Herald 📷" + tag
	crossCaption := "Same news everywhere 📣 https://example.org/news #HeraldCross" + tag

	var posts []scheduled
	add := func(p scheduled) scheduled { posts = append(posts, p); return p }
	var mRich, mImages, bRich, bImages, cross scheduled
	if m != nil {
		mRich = add(schedule(t, h, m.richCaption()+tag, nil, m.profileID))
		mImages = add(schedule(t, h, imagesCaption, images, m.profileID))
	}
	if b != nil {
		bRich = add(schedule(t, h, b.richCaption()+tag, nil, b.profileID))
		bImages = add(schedule(t, h, imagesCaption, images, b.profileID))
	}
	if m != nil && b != nil {
		cross = add(schedule(t, h, crossCaption, nil, m.profileID, b.profileID))
	}
	limits := limitCases(tag, m, b)
	for _, c := range limits {
		if c.post, c.refused = trySchedule(t, h, c.caption, nil, c.profileID); c.refused == nil {
			add(c.post)
		}
	}
	groups := waitSettled(t, h, posts...)

	// check runs one post's checks, and checks that the group's status
	// follows its targets.
	check := func(t *testing.T, name string, p scheduled, f func(*testing.T, *client.PostGroup, scheduled)) {
		t.Run(name, func(t *testing.T) {
			g := groups[p.id]
			f(t, g, p)
			if published(g) && g.Status != client.StatusPosted {
				t.Errorf("every target is published but the post's status is %s, want %s", g.Status, client.StatusPosted)
			}
		})
	}
	if m != nil {
		t.Run("mastodon", func(t *testing.T) {
			check(t, "text, link, mention, hashtag and emoji", mRich, m.checkRich)
			check(t, "images with alt text", mImages, m.checkImages)
		})
	}
	if b != nil {
		t.Run("bluesky", func(t *testing.T) {
			check(t, "text, link, mention, hashtag and emoji", bRich, b.checkRich)
			check(t, "images with alt text", bImages, b.checkImages)
		})
	}
	if m != nil && b != nil {
		check(t, "one post to both networks", cross, func(t *testing.T, g *client.PostGroup, p scheduled) {
			if g.Status != client.StatusPosted {
				t.Errorf("post status %s, want %s:\n%s", g.Status, client.StatusPosted, describeTargets(g))
			}
			t.Run("mastodon", func(t *testing.T) { m.checkText(t, g, p) })
			t.Run("bluesky", func(t *testing.T) { b.checkText(t, g, p) })
		})
	}

	t.Run("text limits", func(t *testing.T) {
		for _, c := range limits {
			t.Run(c.name, func(t *testing.T) { c.verify(t, groups) })
		}
	})

	// Never twice: each post is on each server once, whatever retries
	// happened inside Herald.
	t.Run("each post published once", func(t *testing.T) {
		for _, p := range posts {
			for _, tg := range groups[p.id].SocialProfiles {
				if tg.Attempts != 1 {
					t.Logf("post %s on %s took %d attempts", p.id, tg.SocialProfile.Provider, tg.Attempts)
				}
				if tg.State != "published" {
					continue
				}
				var n int
				switch tg.SocialProfile.Provider {
				case "mastodon":
					n = m.countStatuses(t, p.caption)
				case "bluesky":
					n = b.countRecords(t, p.caption)
				}
				if n != 1 {
					t.Errorf("%d posts with the caption of post %s on %s, want 1: %q", n, p.id, tg.SocialProfile.Provider, p.caption)
				}
			}
		}
	})

	t.Run("delete with remote=true", func(t *testing.T) {
		for _, p := range posts {
			g := groups[p.id]
			deleteRemotely(t, h, p.id)
			for _, tg := range g.SocialProfiles {
				if tg.State != "published" || tg.RemoteID == nil {
					t.Logf("post %s was not published to %s; checked only that Herald deleted it", p.id, tg.SocialProfile.Provider)
					continue
				}
				switch tg.SocialProfile.Provider {
				case "mastodon":
					m.checkGone(t, *tg.RemoteID)
				case "bluesky":
					b.checkGone(t, *tg.RemoteID)
				}
			}
		}
	})
}

// limitCase is a caption at or just over the text limit of the server a
// profile is on, which Herald must handle as the server does: publish what
// fits; refuse what does not, before (POST /post answers 400) or when
// publishing (the target fails with the server's reason), never silently.
type limitCase struct {
	name      string
	profileID string
	caption   string
	fits      bool
	// limit is the number the refusal must name.
	limit string
	// check reads a published post back from the server.
	check func(*testing.T, *client.PostGroup, scheduled)

	post    scheduled // when Herald took the post
	refused error     // when Herald refused it
}

// limitCases are the text limits of the servers: GoToSocial allows 5,000
// characters (counted as code points), not Mastodon's default 500; the PDS
// allows 300 graphemes (and 3,000 bytes), so 300 skin-toned emoji, each
// two code points and eight bytes, fit. Every caption ends with tag.
func limitCases(tag string, m *mastodonSide, b *blueskySide) []*limitCase {
	n := utf8.RuneCountInString(tag) // one grapheme per code point in tags
	var cases []*limitCase
	if m != nil {
		cases = append(cases,
			&limitCase{name: "mastodon/600 characters, over Mastodon's default but within GoToSocial's 5000", profileID: m.profileID,
				caption: strings.Repeat("x", 600-n) + tag, fits: true, check: m.checkText},
			&limitCase{name: "mastodon/5001 characters, over GoToSocial's 5000", profileID: m.profileID,
				caption: strings.Repeat("x", 5001-n) + tag, limit: "5000"})
	}
	if b != nil {
		cases = append(cases,
			&limitCase{name: "bluesky/300 graphemes of 600 code points", profileID: b.profileID,
				caption: strings.Repeat("👍🏽", 300-n) + tag, fits: true, check: b.checkText},
			&limitCase{name: "bluesky/301 graphemes", profileID: b.profileID,
				caption: strings.Repeat("👍🏽", 301-n) + tag, limit: "300"})
	}
	return cases
}

func (c *limitCase) verify(t *testing.T, groups map[string]*client.PostGroup) {
	if c.refused != nil {
		switch {
		case c.fits:
			t.Errorf("POST /post refused a caption the server takes: %v", c.refused)
		case apiStatus(c.refused) != http.StatusBadRequest || !strings.Contains(c.refused.Error(), c.limit):
			t.Errorf("POST /post refused the caption with %v; want a 400 that names the limit (%s)", c.refused, c.limit)
		default:
			t.Logf("refused at creation: %v", c.refused)
		}
		return
	}
	g := groups[c.post.id]
	if c.fits {
		c.check(t, g, c.post)
		return
	}
	tg := g.SocialProfiles[0]
	if tg.State != "failed" || !strings.Contains(deref(tg.ErrorMessage), c.limit) {
		t.Fatalf("a caption over the server's limit: want a 400 from POST /post or a failed target with the server's reason naming %s; got\n%s", c.limit, describeTargets(g))
	}
	if g.Status != client.StatusError {
		t.Errorf("post status %s, want %s", g.Status, client.StatusError)
	}
	t.Logf("accepted by POST /post, refused by the server when published: %s: %s", deref(tg.ErrorCode), deref(tg.ErrorMessage))
}

// published reports whether every target of the post is published.
func published(g *client.PostGroup) bool {
	for _, tg := range g.SocialProfiles {
		if tg.State != "published" {
			return false
		}
	}
	return len(g.SocialProfiles) > 0
}

// scheduled is a post the test scheduled.
type scheduled struct {
	id      string
	caption string
	at      time.Time
	images  []testImage
}

// schedule creates a post with the caption and images for the profiles,
// due scheduleLead from now.
func schedule(t *testing.T, h *heraldServer, caption string, images []testImage, profileIDs ...string) scheduled {
	t.Helper()
	p, err := trySchedule(t, h, caption, images, profileIDs...)
	if err != nil {
		t.Fatalf("POST /post (%.80q): %v", caption, err)
	}
	return p
}

// trySchedule is schedule for a post that Herald may refuse: it returns
// POST /post's error.
func trySchedule(t *testing.T, h *heraldServer, caption string, images []testImage, profileIDs ...string) (scheduled, error) {
	t.Helper()
	at := time.Now().Add(scheduleLead).Truncate(time.Millisecond)
	in := client.PostInput{Caption: caption, SocialProfileIDs: profileIDs, ScheduledAt: &at}
	for _, im := range images {
		in.MediaURLs = append(in.MediaURLs, im.url)
	}
	created, err := h.api.CreatePost(t.Context(), h.workspace, in)
	if err != nil {
		return scheduled{}, err
	}
	g, err := h.api.GetPost(t.Context(), created.ID)
	if err != nil {
		t.Fatalf("GET /post/%s: %v", created.ID, err)
	}
	if g.Status != client.StatusScheduled {
		t.Fatalf("new post has status %s, want %s:\n%s", g.Status, client.StatusScheduled, describeTargets(g))
	}
	return scheduled{id: created.ID, caption: caption, at: at, images: images}, nil
}

// settled reports whether a target's state is final.
func settled(state string) bool {
	switch state {
	case "published", "failed", "needs_attention":
		return true
	}
	return false
}

// waitSettled polls GET /post/{id} until every target of every post is
// published, failed or needs attention, and returns the posts. It fails the
// test after settleTimeout, saying where each target stands.
func waitSettled(t *testing.T, h *heraldServer, posts ...scheduled) map[string]*client.PostGroup {
	t.Helper()
	start := time.Now()
	deadline := start.Add(settleTimeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	out := map[string]*client.PostGroup{}
	for {
		pending := 0
		for _, p := range posts {
			g, err := h.api.GetPost(t.Context(), p.id)
			if err != nil {
				t.Fatalf("GET /post/%s: %v", p.id, err)
			}
			out[p.id] = g
			for _, tg := range g.SocialProfiles {
				if !settled(tg.State) {
					pending++
				}
			}
		}
		if pending == 0 {
			t.Logf("%d post(s) settled %s after they were created", len(posts), time.Since(start).Round(time.Millisecond))
			for _, p := range posts {
				for _, tg := range out[p.id].SocialProfiles {
					if tg.PublishedAt != nil {
						t.Logf("  %s on %s: published %s after scheduledAt", p.id, tg.SocialProfile.Provider, tg.PublishedAt.Sub(p.at).Round(time.Millisecond))
					}
				}
			}
			return out
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, p := range posts {
				fmt.Fprintf(&b, "\n%s", describeTargets(out[p.id]))
			}
			t.Fatalf("posts not published or failed within %s of creation:%s", settleTimeout, b.String())
		}
		select {
		case <-tick.C:
		case <-t.Context().Done():
			t.Fatal("test ended while waiting for posts")
		}
	}
}

// requirePublished returns the post's target for the profile and fails the
// test unless it is published with a remote id, URL and time.
func requirePublished(t *testing.T, g *client.PostGroup, profileID string) client.PostTarget {
	t.Helper()
	for _, tg := range g.SocialProfiles {
		if tg.SocialProfile.ID != profileID {
			continue
		}
		if tg.State != "published" {
			t.Fatalf("target %s was not published:\n%s", profileID, describeTargets(g))
		}
		if tg.RemoteID == nil || *tg.RemoteID == "" || tg.PublishedURL == nil || *tg.PublishedURL == "" || tg.PublishedAt == nil {
			t.Fatalf("published target %s lacks remoteId, publishedUrl or publishedAt: %+v", profileID, tg)
		}
		if tg.ErrorCode != nil || tg.ErrorMessage != nil {
			t.Errorf("published target %s still carries an error: %s: %s", profileID, deref(tg.ErrorCode), deref(tg.ErrorMessage))
		}
		return tg
	}
	t.Fatalf("post %s has no target for profile %s:\n%s", g.ID, profileID, describeTargets(g))
	return client.PostTarget{}
}

// requireProfileListed checks that GET /social-profiles lists want.
func requireProfileListed(t *testing.T, h *heraldServer, want client.SocialProfile) {
	t.Helper()
	list, err := h.api.SocialProfiles(t.Context(), h.workspace)
	if err != nil {
		t.Fatalf("GET /social-profiles: %v", err)
	}
	for _, p := range list {
		if p.ID == want.ID {
			if diff := cmp.Diff(want, p, cmpopts.IgnoreFields(client.SocialProfile{}, "Image")); diff != "" {
				t.Errorf("GET /social-profiles: profile %s (-want +got):\n%s", want.ID, diff)
			}
			return
		}
	}
	t.Fatalf("GET /social-profiles does not list %s: %+v", want.ID, list)
}

// deleteRemotely deletes a post with ?remote=true and checks that Herald
// no longer has it.
func deleteRemotely(t *testing.T, h *heraldServer, id string) {
	t.Helper()
	if err := h.api.DeletePost(t.Context(), id, client.WithQuery("remote", "true")); err != nil {
		t.Fatalf("DELETE /post/%s?remote=true: %v", id, err)
	}
	if _, err := h.api.GetPost(t.Context(), id); apiStatus(err) != 404 {
		t.Errorf("GET /post/%s after DELETE: %v, want a 404", id, err)
	}
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-tick.C:
		case <-t.Context().Done():
			return false
		}
	}
	return true
}

// anchor is a link in a status's HTML content, classified as GoToSocial
// (and Mastodon) mark them up.
type anchor struct {
	Kind string // "mention", "hashtag" or "link"
	Href string
	Text string
}

// contentOf parses a status's HTML content into its plain text and links.
func contentOf(t *testing.T, content string) (string, []anchor) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(content), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("parse status content %q: %v", content, err)
	}
	var text strings.Builder
	var links []anchor
	for _, n := range nodes {
		text.WriteString(textOf(n))
		walk(n, func(a *html.Node) {
			if a.DataAtom != atom.A {
				return
			}
			kind := "link"
			classes := strings.Fields(attr(a, "class"))
			switch {
			case slices.Contains(classes, "hashtag"):
				kind = "hashtag"
			case slices.Contains(classes, "mention"):
				kind = "mention"
			}
			links = append(links, anchor{Kind: kind, Href: attr(a, "href"), Text: textOf(a)})
		})
	}
	return text.String(), links
}
