package publish_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider/providertest/blueskyfake"
	"github.com/heraldhq/herald/internal/provider/providertest/discordfake"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
)

func TestPublishesEachTargetOnceAtItsTime(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		m, b, d := e.mastodonProfile(), e.blueskyProfile(), e.discordProfile()
		const caption = "Launch day 🚀 https://example.org #herald"
		p := e.schedule(caption, 2*time.Second, m, b, d)
		got := e.settle(p.ID)
		if got.Status != herald.StatusPosted {
			t.Fatalf("status = %s, want POSTED", got.Status)
		}
		for _, tg := range got.Targets {
			if tg.State != herald.TargetPublished || tg.RemoteID == "" || tg.PublishedAt == nil || tg.Attempts != 1 {
				t.Errorf("%s target = %+v", tg.Provider, tg)
			}
			if tg.PublishedAt != nil && tg.PublishedAt.Before(*p.ScheduledAt) {
				t.Errorf("%s published at %s, before its time %s", tg.Provider, tg.PublishedAt, p.ScheduledAt)
			}
		}
		if n := e.masto.CreatedCount(caption); n != 1 {
			t.Errorf("mastodon statuses = %d, want 1", n)
		}
		if n := e.bsky.CreatedCount(caption); n != 1 {
			t.Errorf("bluesky records = %d, want 1", n)
		}
		if n := e.discord.CountContent(caption); n != 1 {
			t.Errorf("discord messages = %d, want 1", n)
		}
		if u := target(got, "mastodon").RemoteURL; !strings.HasPrefix(u, e.masto.URL) {
			t.Errorf("mastodon URL = %q", u)
		}
	})
}

func TestFailureClasses(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, e *env, p *herald.Post, caption string)
	published := func(count func(e *env, caption string) int) check {
		return func(t *testing.T, e *env, p *herald.Post, caption string) {
			tg := p.Targets[0]
			if tg.State != herald.TargetPublished || p.Status != herald.StatusPosted {
				t.Errorf("state = %s (%s: %s), status %s; want published", tg.State, tg.ErrorCode, tg.ErrorMessage, p.Status)
			}
			if n := count(e, caption); n != 1 {
				t.Errorf("published %d times, want 1", n)
			}
		}
	}
	ended := func(state herald.TargetState, status herald.PostStatus, want string, count func(e *env, caption string) int, max int) check {
		return func(t *testing.T, e *env, p *herald.Post, caption string) {
			tg := p.Targets[0]
			if tg.State != state || p.Status != status {
				t.Errorf("state = %s, status %s; want %s, %s", tg.State, p.Status, state, status)
			}
			if !strings.Contains(tg.ErrorMessage, want) {
				t.Errorf("message = %q, want it to contain %q", tg.ErrorMessage, want)
			}
			if n := count(e, caption); n > max {
				t.Errorf("published %d times, want at most %d", n, max)
			}
		}
	}
	mastoCount := func(e *env, c string) int { return e.masto.CreatedCount(c) }
	bskyCount := func(e *env, c string) int { return e.bsky.CreatedCount(c) }
	discordCount := func(e *env, c string) int { return e.discord.CountContent(c) }

	tests := []struct {
		name    string
		network string
		arrange func(e *env, p *herald.SocialProfile)
		check   check
	}{
		{"mastodon 503 before processing is retried", "mastodon", func(e *env, _ *herald.SocialProfile) {
			e.masto.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultStatus, Status: 503})
		}, published(mastoCount)},
		{"mastodon answer lost after posting is reconciled", "mastodon", func(e *env, _ *herald.SocialProfile) {
			e.masto.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutAfter})
		}, published(mastoCount)},
		{"mastodon malformed success is reconciled", "mastodon", func(e *env, _ *herald.SocialProfile) {
			e.masto.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultMalformed})
		}, published(mastoCount)},
		{"mastodon 429 waits for the reset", "mastodon", func(e *env, _ *herald.SocialProfile) {
			e.masto.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultRateLimit, RetryAfter: time.Second})
		}, published(mastoCount)},
		{"mastodon rejection keeps the network's reason", "mastodon", func(e *env, _ *herald.SocialProfile) {
			e.masto.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultStatus, Status: 422})
		}, ended(herald.TargetFailed, herald.StatusError, "", mastoCount, 0)},
		{"revoked mastodon token asks for a reconnection", "mastodon", func(e *env, p *herald.SocialProfile) {
			creds, err := e.app.OpenAccount(e.ctx, p)
			must(e.t, err)
			var c struct {
				AccessToken string `json:"accessToken"`
			}
			must(e.t, jsonUnmarshal(creds.Credentials, &c))
			e.masto.RevokeToken(c.AccessToken)
		}, func(t *testing.T, e *env, p *herald.Post, caption string) {
			ended(herald.TargetFailed, herald.StatusError, "", mastoCount, 0)(t, e, p, caption)
			prof, err := e.store.FindSocialProfileByID(context.Background(), p.Targets[0].SocialProfileID)
			must(t, err)
			if prof.Status != herald.ProfileNeedsReconnect || !strings.Contains(prof.StatusMessage, "Reconnect") {
				t.Errorf("profile = %s %q, want needs_reconnect", prof.Status, prof.StatusMessage)
			}
		}},
		{"bluesky answer lost after writing is reconciled by record key", "bluesky", func(e *env, _ *herald.SocialProfile) {
			e.bsky.InjectFault("POST /xrpc/com.atproto.repo.putRecord", blueskyfake.Fault{Kind: blueskyfake.FaultTimeoutAfter})
		}, published(bskyCount)},
		{"bluesky expired session is refreshed", "bluesky", func(e *env, _ *herald.SocialProfile) {
			e.bsky.ExpireAccessTokens()
		}, published(bskyCount)},
		{"bluesky 5xx after writing", "bluesky", func(e *env, _ *herald.SocialProfile) {
			e.bsky.InjectFault("POST /xrpc/com.atproto.repo.putRecord", blueskyfake.Fault{Kind: blueskyfake.FaultStatusAfter, Status: 502})
		}, published(bskyCount)},
		{"discord rate limit waits", "discord", func(e *env, _ *herald.SocialProfile) {
			e.discord.FailNext(discordfake.Fault{Kind: discordfake.RateLimited, Method: "POST", RetryAfter: time.Second})
		}, published(discordCount)},
		{"discord answer lost needs attention, never a second message", "discord", func(e *env, _ *herald.SocialProfile) {
			e.discord.FailNext(discordfake.Fault{Kind: discordfake.TimeoutAfterStore, Method: "POST"})
		}, ended(herald.TargetNeedsAttention, herald.StatusNeedsAttention, "cannot tell", discordCount, 1)},
		{"discord 500 needs attention", "discord", func(e *env, _ *herald.SocialProfile) {
			e.discord.FailNext(discordfake.Fault{Kind: discordfake.ServerError, Method: "POST"})
		}, ended(herald.TargetNeedsAttention, herald.StatusNeedsAttention, "Check the account", discordCount, 1)},
		{"deleted discord webhook asks for a reconnection", "discord", func(e *env, p *herald.SocialProfile) {
			for _, wh := range e.discordWebhooks() {
				e.discord.DeleteWebhook(wh)
			}
		}, ended(herald.TargetFailed, herald.StatusError, "", discordCount, 0)},
	}
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := open(t)
				var prof *herald.SocialProfile
				switch tc.network {
				case "mastodon":
					prof = e.mastodonProfile()
				case "bluesky":
					prof = e.blueskyProfile()
				case "discord":
					prof = e.discordProfile()
				}
				tc.arrange(e, prof)
				caption := "Failure class: " + tc.name
				p := e.schedule(caption, 2*time.Second, prof)
				tc.check(t, e, e.settle(p.ID), caption)
			})
		}
	})
}

func TestChangesCancelQueuedPublication(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		d := e.discordProfile()
		// A draft again: nothing is published at the old time.
		p := e.schedule("Unscheduled", 2*time.Second, d)
		_, err := e.app.UpdatePost(e.ctx, "", p.ID, app.PostPatch{SetSchedule: true})
		must(t, err)
		// Deleted: nothing is published.
		gone := e.schedule("Deleted", 2*time.Second, d)
		must(t, e.app.DeletePost(e.ctx, "", gone.ID, false))
		// Rescheduled earlier: published once, at the new time.
		moved := e.schedule("Moved", time.Hour, d)
		soon := e.clock.Now().Add(2 * time.Second)
		_, err = e.app.UpdatePost(e.ctx, "", moved.ID, app.PostPatch{SetSchedule: true, ScheduledAt: &soon})
		must(t, err)
		e.settle(moved.ID)
		time.Sleep(time.Second) // past the old times of the first two (due with the moved one)
		for caption, want := range map[string]int{"Unscheduled": 0, "Deleted": 0, "Moved": 1} {
			if n := e.discord.CountContent(caption); n != want {
				t.Errorf("%q published %d times, want %d", caption, n, want)
			}
		}
		cur, err := e.store.FindPostByID(context.Background(), p.ID)
		must(t, err)
		if cur.Status != herald.StatusDraft || cur.Targets[0].State != herald.TargetDraft {
			t.Errorf("unscheduled post = %s / %s", cur.Status, cur.Targets[0].State)
		}
	})
}

func TestInterruptedAttemptIsReconciled(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		b, d := e.blueskyProfile(), e.discordProfile()
		// The network got the post but the worker died before recording it:
		// simulated by publishing through the adapter, then leaving the
		// target "publishing" under a lease that has run out.
		p := e.schedule("Interrupted", time.Hour, b, d)
		ctx := context.Background()
		prov, err := e.app.Provider("bluesky")
		must(t, err)
		bt := target(p, "bluesky")
		acct, err := e.app.OpenAccount(e.ctx, mustProfile(t, e, bt.SocialProfileID))
		must(t, err)
		_, err = prov.Publish(ctx, acct, publishRequest(bt.ID, p))
		must(t, err)
		past := e.clock.Now().Add(-time.Second)
		for _, tg := range p.Targets {
			tg.State, tg.Attempts, tg.LeaseUntil = herald.TargetPublishing, 1, &past
			must(t, e.store.UpdatePostTarget(ctx, tg))
		}
		soon := e.clock.Now()
		p.ScheduledAt = &soon
		must(t, e.store.UpdatePost(ctx, p))
		// Its jobs run now (as after a restart).
		e.clock.Set(e.clock.Now().Add(time.Hour + time.Minute))
		got := e.settle(p.ID)
		if tg := target(got, "bluesky"); tg.State != herald.TargetPublished || e.bsky.CreatedCount("Interrupted") != 1 {
			t.Errorf("bluesky: %s, %d records; want published once", tg.State, e.bsky.CreatedCount("Interrupted"))
		}
		if tg := target(got, "discord"); tg.State != herald.TargetNeedsAttention || e.discord.CountContent("Interrupted") != 0 {
			t.Errorf("discord: %s (%s), %d messages; want needs_attention and none", tg.State, tg.ErrorMessage, e.discord.CountContent("Interrupted"))
		}
		if got.Status != herald.StatusNeedsAttention {
			t.Errorf("status = %s", got.Status)
		}
		// Retrying an unknown outcome needs confirmation.
		if _, err := e.app.RetryPost(e.ctx, "", p.ID, false); herald.ErrorCode(err) != herald.ECONFLICT {
			t.Fatalf("retry without confirm = %v, want a conflict", err)
		}
		_, err = e.app.RetryPost(e.ctx, "", p.ID, true)
		must(t, err)
		got = e.settle(p.ID)
		if got.Status != herald.StatusPosted || e.discord.CountContent("Interrupted") != 1 || e.bsky.CreatedCount("Interrupted") != 1 {
			t.Errorf("after retry: %s, discord %d, bluesky %d", got.Status, e.discord.CountContent("Interrupted"), e.bsky.CreatedCount("Interrupted"))
		}
	})
}

func TestDaylightSavingChange(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		d := e.discordProfile()
		// Europe/Berlin moves from +01:00 to +02:00 at 2027-03-28 01:00 UTC.
		berlin, err := time.LoadLocation("Europe/Berlin")
		must(t, err)
		e.clock.Set(time.Date(2027, 3, 28, 0, 58, 0, 0, time.UTC))
		before, _ := herald.ParseTime("scheduledAt", "2027-03-28T01:59:00+01:00") // 00:59 UTC
		after, _ := herald.ParseTime("scheduledAt", "2027-03-28T03:01:00+02:00")  // 01:01 UTC
		if after.Sub(before) != 2*time.Minute || before.In(berlin).Hour() != 1 || after.In(berlin).Hour() != 3 {
			t.Fatalf("instants: %s, %s", before, after)
		}
		mk := func(caption string, at time.Time) *herald.Post {
			p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: caption, SocialProfileIDs: []string{d.ID}, ScheduledAt: &at})
			must(t, err)
			return p
		}
		pb, pa := mk("Before the change", before), mk("After the change", after)
		// Just before the first instant: nothing yet.
		e.clock.Set(before.Add(-2 * time.Second))
		time.Sleep(time.Second)
		if e.discord.CountContent("Before the change") != 0 {
			t.Fatal("published before its time")
		}
		e.clock.Set(before.Add(time.Second))
		e.settle(pb.ID)
		if e.discord.CountContent("After the change") != 0 {
			t.Fatal("the post after the change went out with the one before")
		}
		e.clock.Set(after.Add(time.Second))
		got := e.settle(pa.ID)
		if tg := got.Targets[0]; tg.PublishedAt == nil || tg.PublishedAt.Before(after) {
			t.Errorf("published at %v, want at or after %s", tg.PublishedAt, after)
		}
	})
}

func TestNetworkOptionsReachTheNetwork(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		m := e.mastodonProfile()
		at := e.clock.Now().Add(2 * time.Second)
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Spoilers ahead", SocialProfileIDs: []string{m.ID}, ScheduledAt: &at,
			Options: herald.PostOptions{"mastodon": {"visibility": "unlisted", "spoilerText": "Season finale", "language": "de", "sensitive": "true"}}})
		must(t, err)
		got := e.settle(p.ID)
		st, ok := e.masto.Status(got.Targets[0].RemoteID)
		if !ok {
			t.Fatalf("status %s not on the fake", got.Targets[0].RemoteID)
		}
		if st.Visibility != "unlisted" || st.SpoilerText != "Season finale" || st.Language != "de" || !st.Sensitive {
			t.Errorf("status = %+v", st)
		}
	})
}

func TestPostingQuotaDefersInsteadOfOverrunning(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		d := e.discordProfile() // the rule table: 30 posts a minute per webhook
		var ids []string
		at := e.clock.Now().Add(time.Hour)
		for i := range 33 {
			p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: fmt.Sprintf("Burst %02d", i), SocialProfileIDs: []string{d.ID}, ScheduledAt: &at})
			must(t, err)
			ids = append(ids, p.ID)
		}
		e.clock.Set(at) // all due at once
		// Wait until every post was tried: 30 published, 3 deferred.
		deadline := time.Now().Add(45 * time.Second)
		var published, deferred int
		for time.Now().Before(deadline) {
			published, deferred = 0, 0
			for _, id := range ids {
				p, err := e.store.FindPostByID(context.Background(), id)
				must(t, err)
				switch tg := p.Targets[0]; {
				case tg.State == herald.TargetPublished:
					published++
				case tg.State == herald.TargetScheduled && tg.ErrorCode == "posting_limit" && tg.NextAttemptAt != nil:
					deferred++
				}
			}
			if published+deferred == len(ids) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if published != 30 || deferred != 3 {
			t.Fatalf("published %d, deferred %d; want 30 and 3", published, deferred)
		}
		if n := e.discord.Executes(); n != 30 {
			t.Errorf("the network got %d messages, want 30", n)
		}
		// A minute later the deferred ones go out, each once.
		e.clock.Set(e.clock.Now().Add(61 * time.Second))
		for _, id := range ids {
			e.settle(id)
		}
		for i := range 33 {
			if n := e.discord.CountContent(fmt.Sprintf("Burst %02d", i)); n != 1 {
				t.Errorf("Burst %02d published %d times", i, n)
			}
		}
	})
}

func TestCaptionCountedAsEachNetworkCounts(t *testing.T) {
	t.Parallel()
	e := forOneStore(t)
	b, m := e.blueskyProfile(), e.mastodonProfile() // the fake instance allows 500
	at := e.clock.Now().Add(time.Hour)
	create := func(caption string, p *herald.SocialProfile) error {
		_, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: caption, SocialProfileIDs: []string{p.ID}, ScheduledAt: &at})
		return err
	}
	flags := strings.Repeat("🇩🇪", 300) // 300 graphemes, 2,400 bytes
	if err := create(flags, b); err != nil {
		t.Errorf("300 flags to Bluesky: %v", err)
	}
	err := create(flags+"x", b)
	if herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(err.Error(), "socialProfileIds[0]: the caption is 301 characters as Bluesky counts them; Bluesky allows 300") {
		t.Errorf("301 graphemes to Bluesky: %v", err)
	}
	// Mastodon counts a link as 23 whatever its length.
	long := strings.Repeat("a", 470) + " https://example.org/" + strings.Repeat("p", 200)
	if err := create(long, m); err != nil {
		t.Errorf("470 characters and a long link to Mastodon: %v", err)
	}
	if err := create(strings.Repeat("a", 501), m); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("501 characters to Mastodon: %v", err)
	}
	check, err := e.app.ValidatePost(e.ctx, e.ws, app.PostInput{Caption: "👋🏽 hi", SocialProfileIDs: []string{b.ID}})
	must(t, err)
	if c := check.Targets[0]; c.Characters != 4 || c.MaxCharacters != 300 {
		t.Errorf("check = %+v, want 4 of 300", c)
	}
}

func TestLostJobIsRequeued(t *testing.T) {
	t.Parallel()
	e := forOneStore(t)
	d := e.discordProfile()
	// A scheduled post whose job is gone (stored without one), well past
	// its time.
	at := e.clock.Now().Add(-10 * time.Minute)
	p := &herald.Post{ID: herald.NewID(), WorkspaceID: e.ws, CreatedBy: "", PostType: herald.PostTypeRegular, Status: herald.StatusScheduled,
		Caption: "Lost and found", ScheduledAt: &at, CreatedAt: at, UpdatedAt: at}
	u := herald.UserFromContext(e.ctx)
	p.CreatedBy = u.ID
	gone := int64(987654321) // a job the queue no longer has
	p.Targets = []*herald.PostTarget{{ID: herald.NewID(), PostID: p.ID, SocialProfileID: d.ID, Provider: "discord", State: herald.TargetScheduled, UpdatedAt: at, JobID: &gone}}
	must(t, e.store.CreatePost(context.Background(), p))
	got := e.settle(p.ID)
	if got.Targets[0].State != herald.TargetPublished || e.discord.CountContent("Lost and found") != 1 {
		t.Errorf("target = %s, published %d times", got.Targets[0].State, e.discord.CountContent("Lost and found"))
	}
	if got.Targets[0].JobID == nil || *got.Targets[0].JobID == gone {
		t.Errorf("job id = %v, want the new job's", got.Targets[0].JobID)
	}
}
