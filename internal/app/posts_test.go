package app_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/store"
)

// TestPostRightsFollowRoles: a viewer reads a workspace's posts and changes
// none; an editor writes; a user of another workspace sees none of them.
func TestPostRightsFollowRoles(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, &recorder{})
		prof := e.feed(t, "News")
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Owner's draft", SocialProfileIDs: []string{prof.ID}})
		if err != nil {
			t.Fatal(err)
		}
		viewer := e.joined(t, "viewer@example.org", herald.RoleViewer)
		if _, err := e.app.GetPost(viewer, e.ws, p.ID); err != nil {
			t.Errorf("viewer GetPost: %v", err)
		}
		_, err = e.app.CreatePost(viewer, e.ws, app.PostInput{Caption: "x"})
		mustCode(t, "viewer CreatePost", err, herald.EFORBIDDEN, "(viewer) cannot")
		caption := "changed"
		_, err = e.app.UpdatePost(viewer, e.ws, p.ID, app.PostPatch{Caption: &caption})
		mustCode(t, "viewer UpdatePost", err, herald.EFORBIDDEN, "(viewer) cannot")
		_, err = e.app.PublishNow(viewer, e.ws, p.ID)
		mustCode(t, "viewer PublishNow", err, herald.EFORBIDDEN, "(viewer) cannot")
		mustCode(t, "viewer DeletePost", e.app.DeletePost(viewer, e.ws, p.ID, false), herald.EFORBIDDEN, "(viewer) cannot")

		editor := e.joined(t, "editor@example.org", herald.RoleEditor)
		if _, err := e.app.UpdatePost(editor, e.ws, p.ID, app.PostPatch{Caption: &caption}); err != nil {
			t.Errorf("editor UpdatePost: %v", err)
		}

		other := e.stranger(t)
		_, err = e.app.GetPost(other, e.ws, p.ID)
		mustCode(t, "stranger GetPost", err, herald.ENOTFOUND, "not found")
		_, err = e.app.ListPosts(other, app.ListPostsParams{WorkspaceID: e.ws})
		mustCode(t, "stranger ListPosts", err, herald.ENOTFOUND, "not found")
	})
}

// TestScheduleBounds: a time a little in the past means now, an older one
// and one too far ahead are refused, and a schedule needs a target.
func TestScheduleBounds(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		rec := &recorder{}
		e := setupWith(t, s, rec)
		prof := e.feed(t, "News")
		ids := []string{prof.ID}
		now := time.Now().UTC()
		for name, c := range map[string]struct {
			at   time.Time
			ids  []string
			code string
			msg  string
		}{
			"an hour ago":    {at: now.Add(-time.Hour), ids: ids, code: herald.EINVALID, msg: "is in the past"},
			"ten years on":   {at: now.Add(10 * 365 * 24 * time.Hour), ids: ids, code: herald.EINVALID, msg: "days ahead"},
			"no target":      {at: now.Add(time.Hour), code: herald.EINVALID, msg: "at least one social profile"},
			"a minute ago":   {at: now.Add(-time.Minute), ids: ids},
			"in an hour":     {at: now.Add(time.Hour), ids: ids},
			"unknown target": {at: now.Add(time.Hour), ids: []string{herald.NewID()}, code: herald.ENOTFOUND, msg: "not found in this workspace"},
		} {
			at := c.at
			p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Hello", SocialProfileIDs: c.ids, ScheduledAt: &at})
			if c.code != "" {
				mustCode(t, name, err, c.code, c.msg)
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if p.ScheduledAt == nil || p.ScheduledAt.Before(now.Add(-time.Second)) {
				t.Errorf("%s: scheduledAt = %v, want no earlier than now", name, p.ScheduledAt)
			}
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.scheduled) != 2 {
			t.Errorf("scheduler got %d posts, want the 2 accepted", len(rec.scheduled))
		}
	})
}

// TestPublishedPostsDoNotChange: a post that went out to a network is not
// edited, rescheduled or published again.
func TestPublishedPostsDoNotChange(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, &recorder{})
		prof := e.feed(t, "News")
		at := time.Now().Add(time.Hour).UTC()
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Hello", SocialProfileIDs: []string{prof.ID}, ScheduledAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		e.setTarget(t, p.ID, herald.TargetPublished)
		caption := "changed"
		_, err = e.app.UpdatePost(e.ctx, e.ws, p.ID, app.PostPatch{Caption: &caption})
		mustCode(t, "UpdatePost", err, herald.ECONFLICT, "already published")
		_, err = e.app.PublishNow(e.ctx, e.ws, p.ID)
		mustCode(t, "PublishNow", err, herald.ECONFLICT, "")
		_, err = e.app.RetryPost(e.ctx, e.ws, p.ID, true)
		mustCode(t, "RetryPost", err, herald.ECONFLICT, "no failed target")
		e.setTarget(t, p.ID, herald.TargetPublishing)
		mustCode(t, "DeletePost while publishing", e.app.DeletePost(e.ctx, e.ws, p.ID, false), herald.ECONFLICT, "right now")
	})
}

// TestRetryPost: failed targets are queued again at once; a target whose
// outcome is unknown is retried only when the caller confirms, since the
// post may already be on the network.
func TestRetryPost(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		rec := &recorder{}
		e := setupWith(t, s, rec)
		prof := e.feed(t, "News")
		at := time.Now().Add(time.Hour).UTC()
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Hello", SocialProfileIDs: []string{prof.ID}, ScheduledAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		e.setTarget(t, p.ID, herald.TargetNeedsAttention)
		_, err = e.app.RetryPost(e.ctx, e.ws, p.ID, false)
		mustCode(t, "unconfirmed retry", err, herald.ECONFLICT, "cannot tell whether")
		got, err := e.app.RetryPost(e.ctx, e.ws, p.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Targets[0].State != herald.TargetScheduled || got.ScheduledAt == nil || time.Since(*got.ScheduledAt) > time.Minute {
			t.Errorf("after retry: state %s, scheduledAt %v; want scheduled now", got.Targets[0].State, got.ScheduledAt)
		}
		if got.Version <= p.Version {
			t.Errorf("version %d after retry, want more than %d (the old jobs must not run)", got.Version, p.Version)
		}
		e.setTarget(t, p.ID, herald.TargetFailed)
		if _, err := e.app.RetryPost(e.ctx, e.ws, p.ID, false); err != nil {
			t.Errorf("retry of a failed target: %v", err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.scheduled) != 3 {
			t.Errorf("scheduled %d times, want 3 (create and two retries)", len(rec.scheduled))
		}
	})
}

// TestPublishNowQueuesADraft: a draft published now is scheduled at the
// current time and handed to the scheduler; a draft without targets is
// refused.
func TestPublishNowQueuesADraft(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		rec := &recorder{}
		e := setupWith(t, s, rec)
		prof := e.feed(t, "News")
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Hello", SocialProfileIDs: []string{prof.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != herald.StatusDraft {
			t.Fatalf("status %s, want a draft", p.Status)
		}
		got, err := e.app.PublishNow(e.ctx, e.ws, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != herald.StatusScheduled || got.ScheduledAt == nil || time.Since(*got.ScheduledAt) > time.Minute {
			t.Errorf("status %s at %v, want scheduled now", got.Status, got.ScheduledAt)
		}
		empty, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "No target"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.app.PublishNow(e.ctx, e.ws, empty.ID)
		mustCode(t, "PublishNow without targets", err, herald.EINVALID, "social profile")
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.scheduled) != 1 || rec.scheduled[0] != p.ID {
			t.Errorf("scheduled %v, want [%s]", rec.scheduled, p.ID)
		}
	})
}
