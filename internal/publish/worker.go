package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/heraldhq/herald/internal/store"
)

// worker publishes one target per job.
type worker struct {
	river.WorkerDefaults[PublishArgs]
	store Store
	app   Services
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
}

// outcome is what an attempt ended with, to be recorded on the target.
type outcome struct {
	state     herald.TargetState
	published *provider.Published
	code, msg string
	retryAt   time.Time // for a target put back to scheduled
	reconnect string    // set: the profile needs a reconnection, for this reason
	limitedTo time.Time // set: the account is rate limited until then
}

// Work implements river.Worker.
func (w *worker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	a := job.Args
	ctx = herald.NewContextWithTarget(ctx, a.PostID, a.TargetID) // on every log line of this attempt
	now := w.now().UTC()
	p, err := w.store.FindPostByID(ctx, a.PostID)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil // deleted: nothing to publish
	} else if err != nil {
		return err
	}
	if p.Version != a.Version || p.ScheduledAt == nil {
		return nil // changed since this job was queued; a newer job carries it
	}
	t := findTarget(p, a.TargetID)
	if t == nil {
		return nil
	}
	prof, err := w.store.FindSocialProfileByID(ctx, t.SocialProfileID)
	if err != nil {
		return err
	}
	log := w.log.With("post_id", p.ID, "target_id", t.ID, "provider", t.Provider)

	switch t.State {
	case herald.TargetScheduled:
		if wait := p.ScheduledAt.Sub(now); wait > time.Second {
			return river.JobSnooze(wait) // queued early (should not happen): wait for the time
		}
		if prof.RateLimitedUntil != nil && now.Before(*prof.RateLimitedUntil) {
			return w.defer_(ctx, p, t, *prof.RateLimitedUntil, "rate_limited",
				fmt.Sprintf("Waiting for %s's rate limit on this account, which resets at %s.", t.Provider, herald.FormatTime(*prof.RateLimitedUntil)))
		}
		lease := now.Add(w.cfg.AttemptTimeout)
		claimed, until, reason, err := w.claim(ctx, p, t, prof, lease, now)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return w.defer_(ctx, p, t, until, "posting_limit", reason)
		}
		if !claimed {
			return nil // not ours: changed, deleted, or claimed by another worker
		}
		t.LeaseUntil = &lease
		return w.attempt(ctx, log, p, t, prof, false)

	case herald.TargetPublishing, herald.TargetProcessing:
		// An attempt started and did not record its outcome.
		if t.LeaseUntil != nil && now.Before(*t.LeaseUntil) {
			return river.JobSnooze(t.LeaseUntil.Sub(now) + time.Second)
		}
		lease := now.Add(w.cfg.AttemptTimeout)
		ok, err := w.store.RenewPostTargetLease(ctx, t.ID, t.LeaseUntil, lease, now)
		if err != nil || !ok {
			return err
		}
		t.LeaseUntil = &lease
		log.WarnContext(ctx, "reconciling an attempt that ended without recording its outcome")
		return w.attempt(ctx, log, p, t, prof, true)
	}
	return nil // published, failed, needs attention or draft: nothing to do
}

func findTarget(p *herald.Post, id string) *herald.PostTarget {
	for _, t := range p.Targets {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// claim takes the target for this worker (scheduled → publishing under a
// lease). Where the rule table gives the network a per-account posting
// quota, the quota is checked in the same transaction, with the account's
// row locked, so that workers publishing to one account at once cannot
// together go over it: a full quota defers the target until a slot frees.
func (w *worker) claim(ctx context.Context, p *herald.Post, t *herald.PostTarget, prof *herald.SocialProfile, lease, now time.Time) (claimed bool, until time.Time, reason string, err error) {
	r, ok := w.app.DefaultRules(prof.Provider)
	if !ok || r.PostsPerWindow <= 0 || r.Window <= 0 {
		claimed, err = w.store.ClaimPostTarget(ctx, t.ID, p.Version, lease, now)
		return claimed, time.Time{}, "", err
	}
	err = w.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.LockSocialProfile(ctx, prof.ID); err != nil {
			return err
		}
		n, err := tx.CountPublishedSince(ctx, prof.ID, now.Add(-r.Window))
		if err != nil {
			return err
		}
		if n >= r.PostsPerWindow {
			until = now.Add(r.Window / time.Duration(r.PostsPerWindow))
			reason = fmt.Sprintf("This account reached %s's limit of %d posts per %s; Herald publishes the rest as the limit allows, next at %s.",
				prof.Provider, r.PostsPerWindow, r.Window, herald.FormatTime(until))
			return nil
		}
		claimed, err = tx.ClaimPostTarget(ctx, t.ID, p.Version, lease, now)
		return err
	})
	return claimed, until, reason, err
}

// defer_ records why a target waits and snoozes its job until then.
func (w *worker) defer_(ctx context.Context, p *herald.Post, t *herald.PostTarget, until time.Time, code, msg string) error {
	err := w.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.LockPost(ctx, p.ID); err != nil {
			return err
		}
		cur, err := tx.FindPostByID(ctx, p.ID)
		if err != nil {
			return err
		}
		ct := findTarget(cur, t.ID)
		if cur.Version != p.Version || ct == nil || ct.State != herald.TargetScheduled {
			return nil
		}
		ct.ErrorCode, ct.ErrorMessage, ct.NextAttemptAt, ct.UpdatedAt = code, msg, &until, w.now().UTC()
		return tx.UpdatePostTarget(ctx, ct)
	})
	if err != nil {
		return err
	}
	return river.JobSnooze(max(time.Second, until.Sub(w.now())))
}

// attempt publishes (or, after an unrecorded attempt, first reconciles)
// and records the outcome.
func (w *worker) attempt(ctx context.Context, log *slog.Logger, p *herald.Post, t *herald.PostTarget, prof *herald.SocialProfile, reconcile bool) error {
	o, err := w.run(ctx, log, p, t, prof, reconcile)
	if err != nil {
		// Herald's own failure (database, decryption): the attempt did not
		// reach the network. Release the lease so the retry starts afresh.
		// The target shows a safe text; the cause is logged with the post
		// and target ids.
		log.ErrorContext(ctx, "publish attempt failed before reaching the network", "error", err)
		o = outcome{state: herald.TargetScheduled, code: "internal", msg: "Herald could not prepare the post: " + safeMessage(err, t), retryAt: w.backoff(t.Attempts)}
		switch {
		case reconcile && t.Attempts >= w.cfg.MaxAttempts:
			o.state, o.msg = herald.TargetNeedsAttention, "Herald could not check whether an interrupted attempt published the post: "+safeMessage(err, t)
		case reconcile:
			o.state = herald.TargetPublishing // still unknown: reconcile again
		case t.Attempts >= w.cfg.MaxAttempts:
			o.state = herald.TargetFailed // a failure of Herald's that retrying did not mend
		}
	}
	return w.record(ctx, log, p, t, prof, o)
}

func (w *worker) run(ctx context.Context, log *slog.Logger, p *herald.Post, t *herald.PostTarget, prof *herald.SocialProfile, reconcile bool) (outcome, error) {
	prov, err := w.app.Provider(t.Provider)
	if err != nil {
		return outcome{state: herald.TargetFailed, code: "unsupported", msg: herald.ErrorMessage(err)}, nil
	}
	acct, err := w.app.OpenAccount(ctx, prof)
	if err != nil {
		return outcome{}, err
	}
	media, err := w.app.TargetMedia(ctx, p, t)
	if err != nil {
		return outcome{}, err
	}
	req := &provider.PublishRequest{Key: t.ID, Text: p.Caption, Media: media, Options: p.Options[t.Provider], ScheduledAt: *p.ScheduledAt}
	// The attempt must end within its lease. Publishing gets two thirds of
	// it; the last third is kept for looking the post up when the answer
	// to publishing is lost.
	actx, cancel := context.WithDeadline(ctx, t.LeaseUntil.Add(-w.cfg.AttemptTimeout/3))
	defer cancel()
	fctx, fcancel := context.WithDeadline(ctx, t.LeaseUntil.Add(-time.Second))
	defer fcancel()

	if reconcile {
		res, err := prov.Find(fctx, acct, req)
		switch {
		case err == nil:
			log.InfoContext(ctx, "reconciled: the post is on the network")
			return outcome{state: herald.TargetPublished, published: res}, nil
		case errors.Is(err, provider.ErrNotPublished):
			log.InfoContext(ctx, "reconciled: the post is not on the network; publishing")
		case errors.Is(err, provider.ErrCannotTell):
			return outcome{state: herald.TargetNeedsAttention, code: "outcome_unknown",
				msg: fmt.Sprintf("Herald was interrupted while publishing to %s and %s offers no way to check whether the post went out. Check the account; if it is not there, retry with confirmation.", t.Provider, t.Provider)}, nil
		default:
			// The lookup itself failed: try again later, still unknown.
			return outcome{state: herald.TargetPublishing, code: codeOf(err), msg: "Checking whether an interrupted attempt published the post failed: " + messageOf(err, t), retryAt: w.backoff(t.Attempts)}, nil
		}
	}

	res, err := prov.Publish(actx, acct, req)
	if err == nil {
		return outcome{state: herald.TargetPublished, published: res}, nil
	}
	kind := provider.KindOf(err)
	if kind == provider.KindTokenExpired {
		if r, ok := prov.(provider.Refresher); ok {
			if rerr := r.Refresh(actx, acct); rerr == nil {
				res, err = prov.Publish(actx, acct, req)
				if err == nil {
					return outcome{state: herald.TargetPublished, published: res}, nil
				}
				kind = provider.KindOf(err)
			} else {
				err, kind = rerr, provider.KindOf(rerr)
				if kind == provider.KindTokenExpired || kind == provider.KindRejected {
					kind = provider.KindUnauthorized
				}
			}
		} else {
			kind = provider.KindUnauthorized
		}
	}
	log.InfoContext(ctx, "publish attempt failed", "kind", kind.String(), "error", err)
	code, msg := codeOf(err), messageOf(err, t)
	switch kind {
	case provider.KindTransient, provider.KindTokenExpired:
		return w.retry(t, code, msg), nil
	case provider.KindRateLimited:
		until := rateLimitEnd(err, w.now())
		return outcome{state: herald.TargetScheduled, code: code, limitedTo: until, retryAt: until,
			msg: fmt.Sprintf("%s rate limited this account (%s); Herald publishes at %s.", t.Provider, msg, herald.FormatTime(until))}, nil
	case provider.KindRejected:
		return outcome{state: herald.TargetFailed, code: code, msg: msg}, nil
	case provider.KindUnauthorized:
		return outcome{state: herald.TargetFailed, code: code, msg: msg,
			reconnect: fmt.Sprintf("%s refused the connection: %s. Reconnect the account.", t.Provider, msg)}, nil
	}
	// The request may have reached the network: look before anything else.
	found, ferr := prov.Find(fctx, acct, req)
	switch {
	case ferr == nil:
		return outcome{state: herald.TargetPublished, published: found}, nil
	case errors.Is(ferr, provider.ErrNotPublished):
		return w.retry(t, code, msg+" (the network confirms the post was not published; retrying)"), nil
	}
	return outcome{state: herald.TargetNeedsAttention, code: code,
		msg: fmt.Sprintf("The request to %s may have published the post, and Herald cannot tell (%s). Check the account; if it is not there, retry with confirmation.", t.Provider, msg)}, nil
}

// retry puts a target back to scheduled after a transient failure, or fails
// it once its attempts are spent.
func (w *worker) retry(t *herald.PostTarget, code, msg string) outcome {
	if t.Attempts >= w.cfg.MaxAttempts {
		return outcome{state: herald.TargetFailed, code: code, msg: fmt.Sprintf("%s (gave up after %d attempts)", msg, t.Attempts)}
	}
	at := w.backoff(t.Attempts)
	return outcome{state: herald.TargetScheduled, code: code, msg: fmt.Sprintf("%s; retrying at %s", msg, herald.FormatTime(at)), retryAt: at}
}

// backoff is exponential with full jitter: 5 s, 10 s, 20 s ... at most 10
// minutes, so that many targets failing together do not retry together.
func (w *worker) backoff(attempts int) time.Time {
	d := 5 * time.Second << min(max(attempts-1, 0), 7)
	d = min(d, 10*time.Minute)
	return w.now().UTC().Add(d/2 + rand.N(d/2+1))
}

func rateLimitEnd(err error, now time.Time) time.Time {
	var pe *provider.Error
	if errors.As(err, &pe) && pe.RetryAt.After(now) {
		return pe.RetryAt.UTC()
	}
	return now.UTC().Add(time.Minute)
}

func codeOf(err error) string {
	var pe *provider.Error
	if errors.As(err, &pe) {
		if pe.Code != "" {
			return pe.Code
		}
		return pe.Kind.String()
	}
	return "error"
}

// messageOf is the text a target shows for a network's failure: the
// network's own reason, which the user needs to fix a rejected post. Any
// other error is not shown (it may hold addresses, paths or tokens); the
// worker logs it with the post and target ids.
func messageOf(err error, t *herald.PostTarget) string {
	var ae *safehttp.AddressError
	if errors.As(err, &ae) {
		// The server's name now resolves to an address Herald refuses:
		// say so, and which setting allows it, not the address.
		return ae.SafeMessage()
	}
	var pe *provider.Error
	if errors.As(err, &pe) {
		if pe.Message != "" {
			return pe.Message
		}
		return pe.Kind.String()
	}
	return safeMessage(err, t)
}

// safeMessage is the text a target shows for a failure of Herald's own: a
// domain error's safe message, else a fixed phrase that points to the log.
func safeMessage(err error, t *herald.PostTarget) string {
	if c := herald.ErrorCode(err); c != herald.EINTERNAL && c != "" {
		return herald.ErrorMessage(err)
	}
	return "an internal error (the server log has the cause under target_id " + t.ID + ")"
}

// record stores the outcome on the target, updates the group's status and
// the profile, and tells River what to do with the job.
func (w *worker) record(ctx context.Context, log *slog.Logger, p *herald.Post, t *herald.PostTarget, prof *herald.SocialProfile, o outcome) error {
	now := w.now().UTC()
	ctx = context.WithoutCancel(ctx) // the outcome must be written even as the node stops
	err := w.store.InTx(ctx, func(tx store.Tx) error {
		// Locks are taken account first, then post, as claims take them.
		if o.reconnect != "" || !o.limitedTo.IsZero() {
			if err := tx.LockSocialProfile(ctx, prof.ID); err != nil {
				return err
			}
		}
		if err := tx.LockPost(ctx, p.ID); err != nil {
			return err
		}
		cur, err := tx.FindPostByID(ctx, p.ID)
		if err != nil {
			return err
		}
		ct := findTarget(cur, t.ID)
		if ct == nil {
			return fmt.Errorf("target %s disappeared while it was being published", t.ID)
		}
		if !ct.State.Busy() {
			return fmt.Errorf("target %s changed while it was being published (state %s)", t.ID, ct.State)
		}
		ct.State, ct.ErrorCode, ct.ErrorMessage, ct.UpdatedAt = o.state, o.code, o.msg, now
		ct.LeaseUntil, ct.NextAttemptAt = nil, nil
		switch o.state {
		case herald.TargetPublished:
			ct.ErrorCode, ct.ErrorMessage = "", ""
			ct.RemoteID, ct.RemoteURL = o.published.RemoteID, o.published.URL
			at := o.published.PublishedAt
			if at.IsZero() {
				at = now
			}
			at = at.UTC()
			ct.PublishedAt = &at
		case herald.TargetScheduled:
			ct.NextAttemptAt = &o.retryAt
		case herald.TargetPublishing:
			ct.NextAttemptAt = &o.retryAt // reconcile again then; the lease is released
		}
		if err := tx.UpdatePostTarget(ctx, ct); err != nil {
			return err
		}
		if st := herald.DeriveStatus(cur.Targets); st != cur.Status {
			cur.Status, cur.UpdatedAt = st, now
			if err := tx.UpdatePost(ctx, cur); err != nil {
				return err
			}
		}
		if o.reconnect != "" || !o.limitedTo.IsZero() {
			cp, err := tx.FindSocialProfileByID(ctx, prof.ID)
			if err != nil {
				return err
			}
			if o.reconnect != "" {
				cp.Status, cp.StatusMessage = herald.ProfileNeedsReconnect, o.reconnect
			}
			if !o.limitedTo.IsZero() {
				cp.RateLimitedUntil = &o.limitedTo
			}
			cp.UpdatedAt = now
			return tx.UpdateSocialProfile(ctx, cp)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch o.state {
	case herald.TargetPublished:
		log.InfoContext(ctx, "published", "remote_id", o.published.RemoteID, "url", o.published.URL)
	case herald.TargetScheduled, herald.TargetPublishing:
		return river.JobSnooze(max(time.Second, o.retryAt.Sub(now)))
	case herald.TargetFailed:
		log.WarnContext(ctx, "publication failed", "code", o.code, "message", o.msg)
	case herald.TargetNeedsAttention:
		log.WarnContext(ctx, "publication needs attention", "code", o.code, "message", o.msg)
	}
	return nil
}
