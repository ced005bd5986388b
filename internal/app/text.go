package app

import (
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
)

// checkText counts the caption the way each target's network counts it
// (graphemes, weighted characters, URLs as a fixed length, an instance's
// own limit) and refuses a caption a network would refuse. It runs before
// any transaction: reading an instance's limits may take a request.
func (a *Posts) checkText(ctx context.Context, workspaceID, caption string, profileIDs []string, field string) ([]TargetCheck, error) {
	profiles := make([]*herald.SocialProfile, 0, len(profileIDs))
	for _, id := range profileIDs {
		if !herald.ValidID(id) {
			profiles = append(profiles, nil) // buildTargets says it is not found
			continue
		}
		prof, err := a.store.FindSocialProfileByID(ctx, id)
		if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && prof.WorkspaceID != workspaceID) {
			prof = nil
		} else if err != nil {
			return nil, err
		}
		profiles = append(profiles, prof)
	}
	return a.checkProfilesText(ctx, caption, profiles, field)
}

// checkTargetText is checkText for targets whose profiles are loaded.
func (a *Posts) checkTargetText(ctx context.Context, caption string, targets []*herald.PostTarget, field string) ([]TargetCheck, error) {
	profiles := make([]*herald.SocialProfile, len(targets))
	for i, t := range targets {
		profiles[i] = t.Profile
	}
	return a.checkProfilesText(ctx, caption, profiles, field)
}

func (a *Posts) checkProfilesText(ctx context.Context, caption string, profiles []*herald.SocialProfile, field string) ([]TargetCheck, error) {
	checks := make([]TargetCheck, 0, len(profiles))
	for i, prof := range profiles {
		if prof == nil {
			continue
		}
		rules, known := a.rulesFor(ctx, prof)
		n := utf8.RuneCountInString(caption)
		if rules.Count != nil {
			n = rules.Count(caption)
		}
		c := TargetCheck{SocialProfileID: prof.ID, Provider: prof.Provider, Name: prof.Name, Characters: n, MaxCharacters: rules.MaxChars}
		checks = append(checks, c)
		if !known {
			continue
		}
		f := field + "[" + strconv.Itoa(i) + "]"
		network := a.displayName(prof.Provider)
		switch {
		case rules.MaxChars > 0 && n > rules.MaxChars:
			return nil, herald.Errorf(herald.EINVALID, "%s: the caption is %d characters as %s counts them; %s allows %d%s", f, n, network, network, rules.MaxChars, a.countingNote(prof.Provider))
		case rules.MaxBytes > 0 && len(caption) > rules.MaxBytes:
			return nil, herald.Errorf(herald.EINVALID, "%s: the caption is %d bytes; %s allows %d", f, len(caption), network, rules.MaxBytes)
		case rules.TextRequired && caption == "":
			return nil, herald.Errorf(herald.EINVALID, "%s: %s needs a caption", f, network)
		}
	}
	return checks, nil
}

// rulesFor returns the publishing rules of a profile's account: what the
// network publishes for it where it does (a Mastodon instance's limits),
// else the rule table. known is false when neither is available: the
// network then decides.
func (a *Posts) rulesFor(ctx context.Context, prof *herald.SocialProfile) (provider.Rules, bool) {
	if p, err := a.Provider(prof.Provider); err == nil && a.sealer != nil && len(prof.Credentials) > 0 {
		if acct, err := a.OpenAccount(ctx, prof); err == nil {
			if r, err := p.Rules(ctx, acct); err == nil {
				return r, true
			}
			a.log.WarnContext(ctx, "read the network's limits", "provider", prof.Provider, "error", err)
			if d, ok := a.providers.Descriptor(prof.Provider); ok && d.LiveRules {
				return provider.Rules{}, false // the account's own limits are unknown: let the network decide
			}
		}
	}
	return a.providers.DefaultRules(prof.Provider)
}

// countingNote explains how the network counts a caption, as its
// descriptor says.
func (a *base) countingNote(network string) string {
	d, _ := a.descriptor(network)
	return d.CountingNote
}
