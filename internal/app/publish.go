package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/store"
)

// DefaultRules returns a network's rule-table row: its package's, as the
// registry took it when the network was registered, else the shared table's.
func (a *Services) DefaultRules(id string) (provider.Rules, bool) {
	return a.providers.DefaultRules(id)
}

// Provider returns the network named name.
func (a *Services) Provider(name string) (provider.Provider, error) {
	if p, ok := a.providers.Get(name); ok {
		return p, nil
	}
	return nil, herald.Errorf(herald.EUNAVAILABLE, "Publishing to %s is not available on this Herald.", name)
}

// credentialAD binds sealed credentials to their profile, so that a
// ciphertext copied onto another row does not open.
func credentialAD(profileID string) []byte { return []byte("social_profile:" + profileID) }

// OpenAccount decrypts a profile's credentials into the account a provider
// works with. Rotated credentials are sealed and saved at once.
func (a *Services) OpenAccount(ctx context.Context, p *herald.SocialProfile) (*provider.Account, error) {
	if a.sealer == nil {
		return nil, herald.Errorf(herald.EUNAVAILABLE, "No secret key is configured.")
	}
	creds, err := a.sealer.Open(p.Credentials, credentialAD(p.ID))
	if err != nil {
		return nil, fmt.Errorf("open the credentials of profile %s: %w", p.ID, err)
	}
	acct := &provider.Account{ExternalID: p.ExternalID, Name: p.Name, Image: p.Image, Credentials: creds}
	acct.SaveCredentials = func(ctx context.Context, creds json.RawMessage) error {
		sealed, err := a.sealer.Seal(creds, credentialAD(p.ID))
		if err != nil {
			return err
		}
		// The network has already rotated the credentials (a Bluesky refresh
		// token works once): losing them would disconnect the account. The
		// save therefore outlives the attempt's deadline and the node's stop,
		// bounded by a timeout of its own; every query runs under it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveCredentialsTimeout)
		defer cancel()
		err = a.store.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.FindSocialProfileByID(ctx, p.ID)
			if err != nil {
				return err
			}
			cur.Credentials, cur.UpdatedAt = sealed, a.Now()
			return tx.UpdateSocialProfile(ctx, cur)
		})
		if err == nil {
			p.Credentials = sealed
		}
		return err
	}
	return acct, nil
}

// PublishNow publishes a draft or scheduled post at once.
func (a *Posts) PublishNow(ctx context.Context, workspaceID, id string) (*herald.Post, error) {
	var p *herald.Post
	err := a.changePost(ctx, workspaceID, id, "publish posts", func(tx store.Tx, post *herald.Post) error {
		p = post
		if err := changeable(p, "published again"); err != nil {
			return err
		}
		if len(p.Targets) == 0 {
			return herald.Errorf(herald.EINVALID, "socialProfileIds: the post has no social profile to publish to")
		}
		now := a.Now()
		p.ScheduledAt = &now
		p.Status = herald.StatusScheduled
		return a.resetTargets(ctx, tx, p, func(*herald.PostTarget) bool { return true })
	})
	return p, err
}

// RetryPost publishes again the targets of a post that failed or whose
// outcome is unknown. For unknown ones the caller must confirm: the post may
// already be on the network.
func (a *Posts) RetryPost(ctx context.Context, workspaceID, id string, confirm bool) (*herald.Post, error) {
	var p *herald.Post
	err := a.changePost(ctx, workspaceID, id, "retry posts", func(tx store.Tx, post *herald.Post) error {
		p = post
		var unknown []string
		retry := 0
		for _, t := range p.Targets {
			switch {
			case t.State.Busy():
				return herald.Errorf(herald.ECONFLICT, "Post %q is being published to %s right now; try again when it is done.", p.ID, t.Provider)
			case t.State == herald.TargetNeedsAttention:
				unknown = append(unknown, describeTarget(t))
				retry++
			case t.State == herald.TargetFailed:
				retry++
			}
		}
		if retry == 0 {
			return herald.Errorf(herald.ECONFLICT, "Post %q has no failed target to retry.", p.ID)
		}
		if len(unknown) > 0 && !confirm {
			return herald.Errorf(herald.ECONFLICT, "Herald cannot tell whether post %q was published to %s. Check the account first; to publish it again anyway, send {\"confirm\": true}.", p.ID, strings.Join(unknown, ", "))
		}
		now := a.Now()
		p.ScheduledAt = &now
		p.Status = herald.StatusScheduled
		return a.resetTargets(ctx, tx, p, func(t *herald.PostTarget) bool {
			return t.State == herald.TargetFailed || t.State == herald.TargetNeedsAttention
		})
	})
	return p, err
}

// changePost runs fn on a post locked for change, for a writer of its
// workspace, in one transaction.
func (a *Posts) changePost(ctx context.Context, workspaceID, id, action string, fn func(tx store.Tx, p *herald.Post) error) error {
	return a.store.InTx(ctx, func(tx store.Tx) error {
		if herald.ValidID(id) {
			if err := tx.LockPost(ctx, id); err != nil && herald.ErrorCode(err) != herald.ENOTFOUND {
				return err
			}
		}
		p, m, err := a.findPost(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if !m.Role.CanWrite() {
			return herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot %s.", m.Role, action)
		}
		return fn(tx, p)
	})
}

// resetTargets puts the chosen targets back to scheduled and requeues the
// post's publication under a new version.
func (a *Posts) resetTargets(ctx context.Context, tx store.Tx, p *herald.Post, which func(*herald.PostTarget) bool) error {
	now := a.Now()
	for _, t := range p.Targets {
		if !which(t) {
			continue
		}
		if t.Profile != nil && t.Profile.Status != herald.ProfileConnected {
			return herald.Errorf(herald.EINVALID, "socialProfileIds: the %s profile %q must be reconnected first", t.Provider, t.Profile.Name)
		}
		t.State, t.ErrorCode, t.ErrorMessage, t.LeaseUntil, t.NextAttemptAt, t.UpdatedAt = herald.TargetScheduled, "", "", nil, nil, now
		if err := tx.UpdatePostTarget(ctx, t); err != nil {
			return err
		}
	}
	p.UpdatedAt = now
	return a.requeue(ctx, tx, p, true)
}

// requeue cancels the post's queued jobs, bumps its version and queues its
// scheduled targets again, all in tx.
func (a *Posts) requeue(ctx context.Context, tx store.Tx, p *herald.Post, wasQueued bool) error {
	if wasQueued {
		if err := a.sched.Unschedule(ctx, tx, p); err != nil {
			return err
		}
	}
	p.Version++
	if err := tx.UpdatePost(ctx, p); err != nil {
		return err
	}
	if p.Status == herald.StatusScheduled {
		return a.sched.Schedule(ctx, tx, p)
	}
	return nil
}
