package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/store"
)

// PostInput is the body of POST /post (and of POST /post/validate).
type PostInput struct {
	Caption          string
	Options          herald.PostOptions
	MediaURLs        []string
	SocialProfileIDs []string
	ScheduledAt      *time.Time
}

// PostPatch is the body of PATCH /post/{id}. Nil fields are left as they
// are; SetSchedule with a nil ScheduledAt turns a scheduled post back into a
// draft.
type PostPatch struct {
	Caption          *string
	Options          *herald.PostOptions
	MediaURLs        *[]string
	SocialProfileIDs *[]string
	SetSchedule      bool
	ScheduledAt      *time.Time
}

// PostCheck is the result of validating a post without storing it.
type PostCheck struct {
	Valid   bool          `json:"valid"`
	Status  string        `json:"status"`
	Targets []TargetCheck `json:"targets"`
}

// TargetCheck is what validation found for one target.
type TargetCheck struct {
	SocialProfileID string `json:"socialProfileId"`
	Provider        string `json:"provider"`
	Name            string `json:"name"`
	// Characters is the caption's length as the network counts it;
	// MaxCharacters its limit (0: none known).
	Characters    int `json:"characters"`
	MaxCharacters int `json:"maxCharacters"`
}

// IsLate reports whether a target is late (herald.LateAfter).
func (a *Posts) IsLate(p *herald.Post, t *herald.PostTarget) bool {
	return p.TargetLate(t, a.Now())
}

// LateReason says why a late target was or is late.
func (a *Posts) LateReason(p *herald.Post, t *herald.PostTarget) string {
	switch {
	case t.State == herald.TargetPublished && p.ScheduledAt != nil:
		return fmt.Sprintf("Published %s after its time: Herald was stopped or busy then, or the network asked it to wait.", t.OutcomeAt(a.Now()).Sub(*p.ScheduledAt).Round(time.Second))
	case t.State.Busy():
		return "An attempt to publish is under way or was interrupted; Herald checks with the network before trying again."
	case t.ErrorMessage != "":
		return t.ErrorMessage
	case (t.State == herald.TargetFailed || t.State == herald.TargetNeedsAttention) && p.ScheduledAt != nil:
		return fmt.Sprintf("Its attempts ended %s after its time.", t.OutcomeAt(a.Now()).Sub(*p.ScheduledAt).Round(time.Second))
	}
	return "No publishing worker has picked it up yet: check that a Herald server is running and ready (GET /readyz)."
}

// CreatePost creates a post group: a draft, or scheduled when ScheduledAt
// is set. Its publication is queued in the same transaction.
func (a *Posts) CreatePost(ctx context.Context, workspaceID string, in PostInput) (*herald.Post, error) {
	// Everything is checked, and the media fetched and stored, before the
	// transaction: a download may take a minute, and reading a network's
	// limits a request. The transaction checks again only what may have
	// changed meanwhile: the caller's role (and, through foreign keys, that
	// the profiles still exist).
	p, err := a.buildPost(ctx, a.store, workspaceID, in)
	if err != nil {
		return nil, err
	}
	if _, err := a.checkTargetText(ctx, p.Caption, p.Targets, "socialProfileIds"); err != nil {
		return nil, err
	}
	pm, err := a.media.prepareMedia(ctx, workspaceID, p.CreatedBy, in.MediaURLs, networksOf(p.Targets))
	if err != nil {
		return nil, err
	}
	p.Media = pm.list
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		if _, err := a.writer(ctx, tx, workspaceID, "create posts"); err != nil {
			return err
		}
		// The post's media are stored with it (and their files held).
		if err := tx.CreatePost(ctx, p); err != nil {
			return mediaGone(err)
		}
		if p.Status == herald.StatusScheduled {
			return a.sched.Schedule(ctx, tx, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ValidatePost runs every check of CreatePost and stores nothing.
func (a *Posts) ValidatePost(ctx context.Context, workspaceID string, in PostInput) (*PostCheck, error) {
	p, err := a.buildPost(ctx, a.store, workspaceID, in)
	if err != nil {
		return nil, err
	}
	// Validation downloads and checks the media as creation does, and keeps
	// them: POST /post with the same mediaUrls then reuses the stored files
	// and derived copies, and files no post takes are collected.
	pm, err := a.media.prepareMedia(ctx, workspaceID, p.CreatedBy, in.MediaURLs, networksOf(p.Targets))
	if err != nil {
		return nil, err
	}
	p.Media = pm.list
	checks, err := a.checkTargetText(ctx, p.Caption, p.Targets, "socialProfileIds")
	if err != nil {
		return nil, err
	}
	return &PostCheck{Valid: true, Status: string(p.Status), Targets: checks}, nil
}

// buildPost validates the input and returns the post it describes.
func (a *Posts) buildPost(ctx context.Context, q store.Querier, workspaceID string, in PostInput) (*herald.Post, error) {
	m, err := a.writer(ctx, q, workspaceID, "create posts")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Caption) == "" && len(in.MediaURLs) == 0 {
		return nil, herald.Errorf(herald.EINVALID, "caption: is required unless mediaUrls is given")
	}
	if err := herald.ValidateCaption(in.Caption); err != nil {
		return nil, err
	}
	if err := a.providers.ValidateOptions(in.Options); err != nil {
		return nil, err
	}
	if err := herald.ValidateMediaURLs(in.MediaURLs); err != nil {
		return nil, err
	}
	now := a.Now()
	at, err := a.checkSchedule(in.ScheduledAt, len(in.SocialProfileIDs), now)
	if err != nil {
		return nil, err
	}
	p := &herald.Post{ID: herald.NewID(), WorkspaceID: workspaceID, CreatedBy: m.UserID, PostType: herald.PostTypeRegular,
		Status: herald.StatusDraft, Caption: in.Caption, Options: in.Options, CreatedAt: now, UpdatedAt: now}
	if at != nil {
		p.Status = herald.StatusScheduled
		p.ScheduledAt = at
	}
	p.Targets, err = a.buildTargets(ctx, q, p, in.SocialProfileIDs, "socialProfileIds")
	if err != nil {
		return nil, err
	}
	return p, nil
}

// PublishNowGrace is how far in the past a scheduledAt may be: such a time
// means "publish now", since a client that sends the current time reaches
// Herald a little later. Older times are refused as in the past.
const PublishNowGrace = 5 * time.Minute

// checkSchedule checks a post's time and returns the time to store: a time
// within PublishNowGrace in the past becomes now, so that the post is
// published at once and is not reported late for the moments it took to
// arrive.
func (a *Posts) checkSchedule(at *time.Time, targets int, now time.Time) (*time.Time, error) {
	if at == nil {
		return nil, nil
	}
	if now.Sub(*at) > PublishNowGrace {
		return nil, herald.Errorf(herald.EINVALID, "scheduledAt: %s is in the past (it is now %s); a time up to %d minutes ago means publish now, an older one is refused",
			herald.FormatTime(*at), herald.FormatTime(now), int(PublishNowGrace.Minutes()))
	}
	if at.Before(now) {
		at = &now
	}
	if at.Sub(now) > a.cfg.MaxScheduleAhead {
		return nil, herald.Errorf(herald.EINVALID, "scheduledAt: %s is more than %d days ahead", herald.FormatTime(*at), int(a.cfg.MaxScheduleAhead.Hours()/24))
	}
	if targets == 0 {
		return nil, herald.Errorf(herald.EINVALID, "socialProfileIds: at least one social profile is needed to schedule a post (without scheduledAt the post is saved as a draft)")
	}
	return at, nil
}

// buildTargets resolves profile ids to targets of p. A profile of another
// workspace is not found, like one that does not exist.
func (a *Posts) buildTargets(ctx context.Context, q store.Querier, p *herald.Post, ids []string, field string) ([]*herald.PostTarget, error) {
	if len(ids) > herald.MaxTargetsPerPost {
		return nil, herald.Errorf(herald.EINVALID, "%s: at most %d social profiles per post (got %d)", field, herald.MaxTargetsPerPost, len(ids))
	}
	state := herald.TargetDraft
	if p.Status == herald.StatusScheduled {
		state = herald.TargetScheduled
	}
	seen := map[string]bool{}
	targets := []*herald.PostTarget{}
	for i, id := range ids {
		f := field + "[" + strconv.Itoa(i) + "]"
		if seen[id] {
			return nil, herald.Errorf(herald.EINVALID, "%s: %q is listed twice", f, id)
		}
		seen[id] = true
		nf := herald.Errorf(herald.ENOTFOUND, "%s: social profile %q not found in this workspace", f, id)
		if !herald.ValidID(id) {
			return nil, nf
		}
		prof, err := q.FindSocialProfileByID(ctx, id)
		if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && prof.WorkspaceID != p.WorkspaceID) {
			return nil, nf
		} else if err != nil {
			return nil, err
		}
		if state == herald.TargetScheduled && prof.Status != herald.ProfileConnected {
			return nil, herald.Errorf(herald.EINVALID, "%s: the %s profile %q must be reconnected before posts can be scheduled to it (%s)", f, prof.Provider, prof.Name, prof.StatusMessage)
		}
		targets = append(targets, &herald.PostTarget{ID: herald.NewID(), PostID: p.ID, SocialProfileID: prof.ID, Provider: prof.Provider,
			State: state, UpdatedAt: p.UpdatedAt, Profile: prof})
	}
	return targets, nil
}

// GetPost returns a post group the caller may see. workspaceID is optional;
// when given, a post of another workspace is not found.
func (a *Posts) GetPost(ctx context.Context, workspaceID, id string) (*herald.Post, error) {
	p, _, err := a.findPost(ctx, a.store, workspaceID, id)
	return p, err
}

func (a *Posts) findPost(ctx context.Context, q store.Querier, workspaceID, id string) (*herald.Post, *herald.Member, error) {
	nf := herald.Errorf(herald.ENOTFOUND, "Post %q not found.", id)
	if !herald.ValidID(id) {
		return nil, nil, nf
	}
	if workspaceID != "" {
		if _, err := a.member(ctx, q, workspaceID); err != nil {
			return nil, nil, err
		}
	}
	p, err := q.FindPostByID(ctx, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && workspaceID != "" && p.WorkspaceID != workspaceID) {
		return nil, nil, nf
	} else if err != nil {
		return nil, nil, err
	}
	m, err := a.member(ctx, q, p.WorkspaceID)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, nil, nf
	} else if err != nil {
		return nil, nil, err
	}
	return p, m, nil
}

// ListPostsParams select a page of post groups.
type ListPostsParams struct {
	WorkspaceID string
	Statuses    []herald.PostStatus
	// Late keeps only scheduled posts past their time.
	Late    bool
	Page    int
	PerPage int
}

// MaxPerPage is the largest page; larger requests are clamped to it.
const MaxPerPage = 50

// pageBounds turns Ocoya's paging (0-based page, perPage clamped to
// MaxPerPage) into an offset and a limit.
func pageBounds(page, perPage int) (offset, limit int, err error) {
	if page < 0 {
		return 0, 0, herald.Errorf(herald.EINVALID, "page: must be 0 or more (pages count from 0)")
	}
	if perPage < 1 {
		return 0, 0, herald.Errorf(herald.EINVALID, "perPage: must be at least 1")
	}
	perPage = min(perPage, MaxPerPage)
	if page > 1_000_000_000/perPage {
		return 0, 0, herald.Errorf(herald.EINVALID, "page: %d is too large", page)
	}
	return page * perPage, perPage, nil
}

// ListPosts lists a workspace's post groups, newest first.
func (a *Posts) ListPosts(ctx context.Context, p ListPostsParams) ([]*herald.Post, error) {
	if _, err := a.member(ctx, a.store, p.WorkspaceID); err != nil {
		return nil, err
	}
	offset, limit, err := pageBounds(p.Page, p.PerPage)
	if err != nil {
		return nil, err
	}
	f := herald.PostFilter{WorkspaceID: p.WorkspaceID, Statuses: p.Statuses, Offset: offset, Limit: limit}
	if p.Late {
		// Late posts are scheduled ones past their time; a group that is
		// partly published stays SCHEDULED until its last target ends.
		before := a.Now().Add(-herald.LateAfter)
		f.ScheduledBefore = &before
		if len(f.Statuses) == 0 {
			f.Statuses = []herald.PostStatus{herald.StatusScheduled}
		}
	}
	return orEmpty(a.store.FindPosts(ctx, f))
}

// UpdatePost changes a post group: its schedule (Ocoya's PATCH) and, as
// Herald's extension, its caption, media and profiles. A post that is being
// published or has been published cannot be changed.
func (a *Posts) UpdatePost(ctx context.Context, workspaceID, id string, patch PostPatch) (*herald.Post, error) {
	// New media are fetched, and the files checked against the networks the
	// post will go to, before the transaction (media.go).
	pm, merr := a.preparePatchMedia(ctx, workspaceID, id, patch)
	if merr != nil {
		return nil, merr
	}
	if patch.Caption != nil || patch.SocialProfileIDs != nil {
		// The caption and profiles the post will have, read before the
		// transaction (the check may read an instance's limits).
		if cur, _, err := a.findPost(ctx, a.store, workspaceID, id); err == nil {
			caption, ids := cur.Caption, make([]string, 0, len(cur.Targets))
			for _, t := range cur.Targets {
				ids = append(ids, t.SocialProfileID)
			}
			if patch.Caption != nil {
				caption = *patch.Caption
			}
			if patch.SocialProfileIDs != nil {
				ids = *patch.SocialProfileIDs
			}
			if _, err := a.checkText(ctx, cur.WorkspaceID, caption, ids, "socialProfileIds"); err != nil {
				return nil, err
			}
		}
	}
	var p *herald.Post
	err := a.changePost(ctx, workspaceID, id, "change posts", func(tx store.Tx, post *herald.Post) error {
		p = post
		if err := changeable(p, "changed"); err != nil {
			return err
		}
		now := a.Now()
		if patch.Caption != nil {
			if err := herald.ValidateCaption(*patch.Caption); err != nil {
				return err
			}
			p.Caption = *patch.Caption
		}
		if patch.Options != nil {
			if err := a.providers.ValidateOptions(*patch.Options); err != nil {
				return err
			}
			p.Options = *patch.Options
		}
		if patch.MediaURLs != nil {
			if err := herald.ValidateMediaURLs(*patch.MediaURLs); err != nil {
				return err
			}
			p.Media = pm.list
		}
		if !mediaStored(p.Media) {
			p.Media = pm.list // saved before Herald stored files (media.go)
		}
		if strings.TrimSpace(p.Caption) == "" && len(p.Media) == 0 {
			return herald.Errorf(herald.EINVALID, "caption: is required unless mediaUrls is given")
		}
		wasQueued := p.Status != herald.StatusDraft
		if patch.SetSchedule {
			p.ScheduledAt = patch.ScheduledAt
		}
		p.Status = herald.StatusDraft
		if p.ScheduledAt != nil {
			p.Status = herald.StatusScheduled
		}
		p.UpdatedAt = now
		if patch.SocialProfileIDs != nil {
			if err := a.replaceTargets(ctx, tx, p, *patch.SocialProfileIDs); err != nil {
				return err
			}
		}
		if patch.SetSchedule && p.ScheduledAt != nil {
			at, err := a.checkSchedule(p.ScheduledAt, len(p.Targets), now)
			if err != nil {
				return err
			}
			p.ScheduledAt = at
		} else if p.ScheduledAt != nil && len(p.Targets) == 0 {
			return herald.Errorf(herald.EINVALID, "socialProfileIds: a scheduled post needs at least one social profile")
		}
		state := herald.TargetDraft
		if p.Status == herald.StatusScheduled {
			state = herald.TargetScheduled
		}
		for _, t := range p.Targets {
			if state == herald.TargetScheduled && t.Profile != nil && t.Profile.Status != herald.ProfileConnected {
				return herald.Errorf(herald.EINVALID, "socialProfileIds: the %s profile %q must be reconnected before posts can be scheduled to it", t.Provider, t.Profile.Name)
			}
			if t.State != state || t.Attempts != 0 || t.ErrorCode != "" {
				t.State, t.Attempts, t.ErrorCode, t.ErrorMessage, t.NextAttemptAt, t.UpdatedAt = state, 0, "", "", nil, now
				if err := tx.UpdatePostTarget(ctx, t); err != nil {
					return err
				}
			}
		}
		if err := a.media.linkPostMedia(ctx, tx, p); err != nil {
			return err
		}
		// Any change may change what a queued job would publish: the old
		// jobs are cancelled and new ones queued under a new version.
		return a.requeue(ctx, tx, p, wasQueued)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// replaceTargets makes p's targets those of ids, keeping existing targets.
func (a *Posts) replaceTargets(ctx context.Context, tx store.Tx, p *herald.Post, ids []string) error {
	wanted, err := a.buildTargets(ctx, tx, p, ids, "socialProfileIds")
	if err != nil {
		return err
	}
	have := map[string]*herald.PostTarget{}
	for _, t := range p.Targets {
		have[t.SocialProfileID] = t
	}
	keep := map[string]bool{}
	var out []*herald.PostTarget
	for _, w := range wanted {
		if t, ok := have[w.SocialProfileID]; ok {
			keep[t.ID] = true
			out = append(out, t)
			continue
		}
		if err := tx.CreatePostTarget(ctx, w); err != nil {
			return err
		}
		out = append(out, w)
	}
	for _, t := range p.Targets {
		if !keep[t.ID] {
			if err := tx.DeletePostTarget(ctx, t.ID); err != nil {
				return err
			}
		}
	}
	p.Targets = out
	return nil
}

// changeable refuses to change a post that is being or has been published.
func changeable(p *herald.Post, verb string) error {
	for _, t := range p.Targets {
		switch {
		case t.State.Busy():
			return herald.Errorf(herald.ECONFLICT, "Post %q is being published to %s right now and cannot be %s; try again when it is done.", p.ID, t.Provider, verb)
		case t.State == herald.TargetPublished:
			return herald.Errorf(herald.ECONFLICT, "Post %q was already published to %s and cannot be %s.", p.ID, t.Provider, verb)
		}
	}
	return nil
}

// DeletePost deletes a post group and cancels its pending publication. A
// post that is being published cannot be deleted until that is done. With
// remote, what was published is first deleted from the networks; if a
// network refuses, nothing is deleted in Herald and the error says which.
func (a *Posts) DeletePost(ctx context.Context, workspaceID, id string, remote bool) error {
	if remote {
		if err := a.deleteRemote(ctx, workspaceID, id); err != nil {
			return err
		}
	}
	return a.changePost(ctx, workspaceID, id, "delete posts", func(tx store.Tx, p *herald.Post) error {
		for _, t := range p.Targets {
			if t.State.Busy() {
				return herald.Errorf(herald.ECONFLICT, "Post %q is being published to %s right now and cannot be deleted; try again when it is done.", p.ID, t.Provider)
			}
		}
		if p.Status != herald.StatusDraft {
			if err := a.sched.Unschedule(ctx, tx, p); err != nil {
				return err
			}
		}
		if err := a.media.releasePostMedia(ctx, tx, p); err != nil {
			return err
		}
		return tx.DeletePost(ctx, p.ID)
	})
}

// deleteRemote deletes a post's publications from their networks.
func (a *Posts) deleteRemote(ctx context.Context, workspaceID, id string) error {
	p, m, err := a.findPost(ctx, a.store, workspaceID, id)
	if err != nil {
		return err
	}
	if !m.Role.CanWrite() {
		return herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot delete posts.", m.Role)
	}
	var failed []string
	for _, t := range p.Targets {
		if t.State != herald.TargetPublished || t.RemoteID == "" {
			continue
		}
		prov, err := a.Provider(t.Provider)
		if err != nil {
			failed = append(failed, describeTarget(t)+": "+herald.ErrorMessage(err))
			continue
		}
		prof, err := a.store.FindSocialProfileByID(ctx, t.SocialProfileID)
		if err != nil {
			return err
		}
		acct, err := a.OpenAccount(ctx, prof)
		if err != nil {
			return err
		}
		if err := prov.Delete(ctx, acct, t.RemoteID); err != nil {
			a.log.WarnContext(ctx, "delete from the network failed", "post_id", p.ID, "target_id", t.ID, "provider", t.Provider,
				"request_id", herald.RequestIDFromContext(ctx), "error", err)
			failed = append(failed, describeTarget(t)+": "+providerMessage(err))
		}
	}
	if len(failed) > 0 {
		return herald.Errorf(herald.EUNAVAILABLE, "Could not delete the post from every network, so it is kept in Herald; try again. %s", strings.Join(failed, "; "))
	}
	return nil
}

// providerMessage is the network's own reason for an error; any other
// error's text may hold addresses or paths and only goes to the log.
func providerMessage(err error) string {
	var pe *provider.Error
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	return "an unexpected error (Herald's log has the cause)"
}

// describeTarget names a target for messages.
func describeTarget(t *herald.PostTarget) string {
	if t.Profile != nil && t.Profile.Name != "" {
		return fmt.Sprintf("%s (%s)", t.Profile.Name, t.Provider)
	}
	return t.Provider
}

// preparePatchMedia prepares the media a post will have after patch, for
// the networks it will go to: new mediaUrls are downloaded; unchanged files
// are checked again when the networks change. The caller's transaction
// checks everything again; this runs first so that no file is fetched for
// a post the caller may not change.
func (a *Posts) preparePatchMedia(ctx context.Context, workspaceID, id string, patch PostPatch) (*preparedMedia, error) {
	p, m, err := a.findPost(ctx, a.store, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if !m.Role.CanWrite() {
		return nil, herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot change posts.", m.Role)
	}
	if err := changeable(p, "changed"); err != nil {
		return nil, err
	}
	networks := networksOf(p.Targets)
	if patch.SocialProfileIDs != nil {
		if networks, err = a.media.profileNetworks(ctx, p.WorkspaceID, *patch.SocialProfileIDs); err != nil {
			return nil, err
		}
	}
	if patch.MediaURLs != nil {
		if err := herald.ValidateMediaURLs(*patch.MediaURLs); err != nil {
			return nil, err
		}
		return a.media.prepareMedia(ctx, p.WorkspaceID, m.UserID, *patch.MediaURLs, networks)
	}
	items := make([]*herald.Media, len(p.Media))
	sources := make([]string, len(p.Media))
	for i, pm := range p.Media {
		sources[i] = pm.SourceURL
	}
	for i, pm := range p.Media {
		if pm.MediaID == "" {
			// Saved before Herald stored files: fetch them now, as if
			// the patch had sent them.
			return a.media.prepareMedia(ctx, p.WorkspaceID, m.UserID, sources, networks)
		}
		if items[i], err = a.store.FindMediaByID(ctx, pm.MediaID); herald.ErrorCode(err) == herald.ENOTFOUND {
			return nil, herald.Errorf(herald.EINVALID, "mediaUrls[%d]: %s is no longer stored; send mediaUrls again", i, pm.SourceURL)
		} else if err != nil {
			return nil, err
		}
	}
	if err := a.media.applyMediaRules(ctx, items, sources, networks); err != nil {
		return nil, err
	}
	pm := a.media.prepared(items, sources)
	for i := range pm.list {
		pm.list[i].AltText = p.Media[i].AltText
	}
	return pm, nil
}
