package crash

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/provider/providertest/blueskyfake"
	"github.com/heraldhq/herald/internal/provider/providertest/discordfake"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
)

// Latency of the fake networks: the proxies wait a little before
// forwarding and longer before answering, 20 to 50 ms in all.
var (
	latencyBefore = [2]time.Duration{5 * time.Millisecond, 15 * time.Millisecond}
	latencyAfter  = [2]time.Duration{15 * time.Millisecond, 35 * time.Millisecond}
)

const (
	mastodon = "mastodon"
	bluesky  = "bluesky"
	discord  = "discord"
)

var networkNames = []string{mastodon, bluesky, discord}

// networks are the three fakes, each behind its proxy.
type networks struct {
	masto        *mastodonfake.Server
	bsky         *blueskyfake.Server
	discord      *discordfake.Fake
	proxies      map[string]*proxy
	mastoTokens  []string
	bskyHandles  []string
	discordHooks []discordfake.Webhook
}

// accounts says how many accounts of each network the posts are spread
// over. Several are needed where Herald's own rules or the network's
// lookups bound what one account takes: Discord webhooks post about 30
// messages a minute (Herald defers the rest), and Mastodon's
// reconciliation reads at most five pages of 40 statuses, so it can prove
// a post absent only on an account with at most 160 statuses since the
// post's time (beyond, an interrupted post needs attention).
type accounts struct{ mastodon, bluesky, discord int }

func startNetworks(t *testing.T, a accounts) *networks {
	t.Helper()
	n := &networks{proxies: map[string]*proxy{}}
	var err error
	// Mastodon honours Idempotency-Key (the fake's default); Bluesky
	// records are written under a record key chosen in advance; Discord
	// webhooks have neither.
	if n.masto, err = mastodonfake.New(mastodonfake.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.masto.Close)
	if n.bsky, err = blueskyfake.New(blueskyfake.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.bsky.Close)
	n.discord = discordfake.New()
	t.Cleanup(n.discord.Close)

	n.proxies[mastodon] = newProxy(t, mastodon, n.masto.URL, latencyBefore, latencyAfter, mastodonPublish)
	n.proxies[bluesky] = newProxy(t, bluesky, n.bsky.URL, latencyBefore, latencyAfter, blueskyPublish)
	n.proxies[discord] = newProxy(t, discord, strings.TrimSuffix(n.discord.URL, "/api"), latencyBefore, latencyAfter, discordPublish)

	for i := range a.mastodon {
		_, tok := n.masto.CreateAccount(fmt.Sprintf("crash%d", i))
		n.mastoTokens = append(n.mastoTokens, tok)
	}
	for i := range a.bluesky {
		h := fmt.Sprintf("crash%d.test", i)
		n.bsky.CreateAccount(h, "app-pass-word-1234")
		n.bskyHandles = append(n.bskyHandles, h)
	}
	for i := range a.discord {
		n.discordHooks = append(n.discordHooks, n.discord.AddWebhook(fmt.Sprintf("crash-%d", i)))
	}
	return n
}

// serveFlags point Herald at the proxies.
func (n *networks) serveFlags() []string {
	return []string{
		"--discord-api-url", n.proxies[discord].URL + "/api",
		"--bluesky-plc-url", n.proxies[bluesky].URL,
	}
}

// profile is a connected social profile.
type profile struct {
	id, network string
}

// connect connects every account as a profile of the workspace, and
// returns them per network.
func (n *networks) connect(t *testing.T, c *client.Client, ws string) map[string][]profile {
	t.Helper()
	ctx := context.Background()
	out := map[string][]profile{}
	add := func(network string, in client.ProfileCredentials) {
		p, err := c.ConnectProfile(ctx, ws, in)
		if err != nil {
			t.Fatalf("connect a %s profile: %v", network, err)
		}
		out[network] = append(out[network], profile{id: p.ID, network: network})
	}
	for _, tok := range n.mastoTokens {
		add(mastodon, client.ProfileCredentials{Provider: mastodon, InstanceURL: n.proxies[mastodon].URL, AccessToken: tok})
	}
	for _, h := range n.bskyHandles {
		add(bluesky, client.ProfileCredentials{Provider: bluesky, Handle: h, AppPassword: "app-pass-word-1234", Service: n.proxies[bluesky].URL})
	}
	for _, wh := range n.discordHooks {
		add(discord, client.ProfileCredentials{Provider: discord, WebhookURL: n.proxies[discord].URL + "/api/webhooks/" + wh.ID + "/" + wh.Token})
	}
	return out
}

// created returns how many times the network created a post with text.
func (n *networks) created(network, text string) int {
	switch network {
	case mastodon:
		return n.masto.CreatedCount(text)
	case bluesky:
		return n.bsky.CreatedCount(text)
	default:
		return n.discord.CountContent(text)
	}
}

// totalCreated returns how many posts the network holds in all.
func (n *networks) totalCreated(network string) int {
	total := 0
	switch network {
	case mastodon:
		for _, v := range n.masto.CreatedCounts() {
			total += v
		}
	case bluesky:
		for _, v := range n.bsky.CreatedCounts() {
			total += v
		}
	default:
		for _, wh := range n.discordHooks {
			total += len(n.discord.Messages(wh.ID))
		}
	}
	return total
}

// plannedPost is a post the test scheduled.
type plannedPost struct {
	id, text string
	// networks are those of its targets, one profile on each.
	networks []string
}

// multiEvery makes every multiEvery-th post target all three networks at
// once (the others target one), so that targets of one post are
// published, recorded and interrupted side by side.
const multiEvery = 4

// schedulePosts creates count posts spread evenly over the networks and
// their accounts, due from due on, spread over spread, sending the
// requests to the clients in turn. Each text is unique, so that a fake's
// count per text is the count of one target.
func schedulePosts(t *testing.T, clients []*client.Client, ws string, profiles map[string][]profile, count int, due time.Time, spread time.Duration) []plannedPost {
	t.Helper()
	posts := make([]plannedPost, count)
	// Each network's targets go to its accounts in turn.
	ids := make([][]string, count)
	used := map[string]int{}
	for i := range posts {
		posts[i].networks = []string{networkNames[i%len(networkNames)]}
		if i%multiEvery == multiEvery-1 {
			posts[i].networks = networkNames
		}
		for _, network := range posts[i].networks {
			ps := profiles[network]
			ids[i] = append(ids[i], ps[used[network]%len(ps)].id)
			used[network]++
		}
		posts[i].text = fmt.Sprintf("Crash test post %04d for %s", i, strings.Join(posts[i].networks, ", "))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				at := due.Add(spread * time.Duration(i) / time.Duration(count))
				if soon := time.Now().Add(time.Second); at.Before(soon) {
					at = soon // creating took longer than planned (a busy machine)
				}
				c := clients[i%len(clients)]
				res, err := c.CreatePost(context.Background(), ws, client.PostInput{Caption: posts[i].text, SocialProfileIDs: ids[i], ScheduledAt: &at})
				if err != nil && strings.Contains(err.Error(), "is in the past") {
					// The request itself took longer than the margin (a busy
					// machine): plan it further out.
					at = time.Now().Add(5 * time.Second)
					res, err = c.CreatePost(context.Background(), ws, client.PostInput{Caption: posts[i].text, SocialProfileIDs: ids[i], ScheduledAt: &at})
				}
				if err != nil {
					errs <- fmt.Errorf("create post %d: %w", i, err)
					return
				}
				posts[i].id = res.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return posts
}

// finalTarget is a target as the API reports it at the end.
type finalTarget struct {
	postID, text, network string
	state, code, message  string
}

// key names a target in the proxies' logs: its network and its text.
func (f finalTarget) key() string { return targetKey(f.network, f.text) }

func targetKey(network, text string) string { return network + "\x00" + text }

// isFinal reports whether a target state is one the engine leaves alone.
func isFinal(state string) bool {
	return state == "published" || state == "failed" || state == "needs_attention"
}

// waitFinal waits until every target of the posts is published, failed or
// needs_attention, and returns them. It polls the scheduled posts (one
// request) until there are none, then reads every post: a post whose
// targets are not all final can also be NEEDS_ATTENTION already.
func waitFinal(t *testing.T, c *client.Client, ws string, posts []plannedPost, timeout time.Duration) []finalTarget {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left, err := c.ListPosts(context.Background(), ws, client.ListPostsOptions{Statuses: []string{client.StatusScheduled}, PerPage: 50})
		if err == nil && len(left) == 0 {
			targets, pending := readTargets(t, c, ws, posts)
			if pending == 0 {
				return targets
			}
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, g := range left {
				for _, tg := range g.SocialProfiles {
					fmt.Fprintf(&b, "\n  post %s %s: %s attempts=%d late=%v %s %s", g.ID, tg.SocialProfile.Provider, tg.State, tg.Attempts, tg.Late, deref(tg.ErrorCode), deref(tg.ErrorMessage))
				}
			}
			t.Fatalf("posts still scheduled after %s (list error: %v); some of them:%s", timeout, err, b.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// readTargets lists every post of the workspace and returns the targets of
// the planned posts, and how many are not final yet. It checks that no
// post is lost, each has the targets it was created with, and, once all
// are final, that each post's status follows its targets.
func readTargets(t *testing.T, c *client.Client, ws string, posts []plannedPost) ([]finalTarget, int) {
	t.Helper()
	byID := map[string]client.PostGroup{}
	for page := 0; ; page++ {
		gs, err := c.ListPosts(context.Background(), ws, client.ListPostsOptions{Page: page, PerPage: 50})
		if err != nil {
			t.Fatalf("list posts: %v", err)
		}
		for _, g := range gs {
			byID[g.ID] = g
		}
		if len(gs) < 50 {
			break
		}
	}
	var out []finalTarget
	var mismatches []string
	pending := 0
	for _, p := range posts {
		g, ok := byID[p.id]
		if !ok {
			t.Fatalf("post %s (%q) is lost: the API does not list it", p.id, p.text)
		}
		if len(g.SocialProfiles) != len(p.networks) {
			t.Fatalf("post %s has %d targets, want %d", p.id, len(g.SocialProfiles), len(p.networks))
		}
		var states []string
		for _, tg := range g.SocialProfiles {
			out = append(out, finalTarget{postID: p.id, text: p.text, network: tg.SocialProfile.Provider,
				state: tg.State, code: deref(tg.ErrorCode), message: deref(tg.ErrorMessage)})
			states = append(states, tg.State)
			if !isFinal(tg.State) {
				pending++
			}
		}
		if want := groupStatus(states); want != "" && g.Status != want {
			mismatches = append(mismatches, fmt.Sprintf("post %s has targets %v and status %s, want %s", p.id, states, g.Status, want))
		}
	}
	if pending == 0 {
		for _, m := range mismatches {
			t.Error(m)
		}
	}
	return out, pending
}

// groupStatus is the status a post with final targets in those states must
// show, or "" while some are not final.
func groupStatus(states []string) string {
	failed, attention := 0, 0
	for _, s := range states {
		switch s {
		case "published":
		case "failed":
			failed++
		case "needs_attention":
			attention++
		default:
			return ""
		}
	}
	switch {
	case attention > 0:
		return client.StatusNeedsAttention
	case failed > 0:
		return client.StatusError
	}
	return client.StatusPosted
}

// tally is what the checks found, for the summary.
type tally struct {
	published, needsAttention, failed map[string]int
	// attentionPosted counts Discord targets in needs_attention whose
	// message does exist (the crash hit after Discord took it).
	attentionPosted int
}

// checkExactlyOnce checks the final state of every target against the
// fakes: nothing lost, nothing twice, Mastodon and Bluesky published
// exactly once, Discord published at most once and marked for attention
// whenever Herald could not know, and the fakes hold nothing else.
func checkExactlyOnce(t *testing.T, n *networks, targets []finalTarget) tally {
	t.Helper()
	tl := tally{published: map[string]int{}, needsAttention: map[string]int{}, failed: map[string]int{}}
	var problems []string
	problem := func(format string, args ...any) {
		if len(problems) < 30 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, tg := range targets {
		got := n.created(tg.network, tg.text)
		switch tg.state {
		case "published":
			tl.published[tg.network]++
		case "needs_attention":
			tl.needsAttention[tg.network]++
		case "failed":
			tl.failed[tg.network]++
		default:
			problem("%s target of %q is %s, not final: lost", tg.network, tg.text, tg.state)
			continue
		}
		if got > 1 {
			problem("%s published %q %d times", tg.network, tg.text, got)
		}
		switch {
		case tg.state == "failed":
			// No fault is injected: nothing should fail.
			problem("%s target of %q failed: %s %s", tg.network, tg.text, tg.code, tg.message)
		case tg.network != discord && (tg.state != "published" || got != 1):
			// Idempotent networks: exactly once, always.
			problem("%s target of %q is %s (%s %s) and the network holds it %d times; want published once", tg.network, tg.text, tg.state, tg.code, tg.message, got)
		case tg.network == discord && tg.state == "published" && got != 1:
			problem("discord target of %q is published but the network holds it %d times", tg.text, got)
		case tg.network == discord && tg.state == "needs_attention":
			if got == 1 {
				tl.attentionPosted++
			}
			if tg.code == "" || tg.message == "" {
				problem("discord target of %q needs attention without a reason (code %q, message %q)", tg.text, tg.code, tg.message)
			}
		}
	}
	for _, network := range networkNames {
		want := tl.published[network]
		if network == discord {
			want += tl.attentionPosted
		}
		if got := n.totalCreated(network); got != want {
			problem("%s holds %d posts; the targets account for %d", network, got, want)
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	return tl
}
