package app

import (
	"context"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
)

// feedLength is how many items a feed document holds.
const feedLength = 50

// FeedDocument renders the public feed of a feed profile in format ("rss",
// "atom" or "json"). Feeds are public: the profile's id, which is
// unguessable, is their address.
func (a *Posts) FeedDocument(ctx context.Context, profileID, format string) ([]byte, string, error) {
	nf := herald.Errorf(herald.ENOTFOUND, "No such feed.")
	if !herald.ValidID(profileID) {
		return nil, "", nf
	}
	prof, err := a.store.FindSocialProfileByID(ctx, profileID)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, "", nf
	} else if err != nil {
		return nil, "", err
	}
	r, ok := a.feedRenderer(prof.Provider)
	if !ok {
		return nil, "", nf
	}
	posts, err := a.store.FindPostsPublishedTo(ctx, profileID, feedLength)
	if err != nil {
		return nil, "", err
	}
	items := make([]provider.FeedItem, 0, len(posts))
	for _, post := range posts {
		for _, t := range post.Targets {
			if t.SocialProfileID != profileID || t.State != herald.TargetPublished {
				continue
			}
			it := provider.FeedItem{ID: t.ID, Text: post.Caption, URL: t.RemoteURL}
			if t.PublishedAt != nil {
				it.Published = *t.PublishedAt
			}
			for _, m := range post.Media {
				it.Media = append(it.Media, provider.Media{Kind: m.Kind, MIME: m.MIME, URL: a.PostMediaURL(m)})
			}
			items = append(items, it)
		}
	}
	self := a.cfg.PublicURL + "/feeds/" + profileID + "." + strings.ToLower(format)
	return r.RenderFeed(format, prof.Name, self, a.cfg.PublicURL+"/feeds/"+profileID+".rss", items)
}

// FeedItem returns a post published to a feed, for its public page.
func (a *Posts) FeedItem(ctx context.Context, targetID string) (*herald.Post, *herald.PostTarget, error) {
	nf := herald.Errorf(herald.ENOTFOUND, "No such feed item.")
	if !herald.ValidID(targetID) {
		return nil, nil, nf
	}
	postID, err := a.store.FindPostIDByTargetID(ctx, targetID)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, nil, nf
	} else if err != nil {
		return nil, nil, err
	}
	p, err := a.store.FindPostByID(ctx, postID)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range p.Targets {
		if _, isFeed := a.feedRenderer(t.Provider); isFeed && t.ID == targetID && t.State == herald.TargetPublished {
			return p, t, nil
		}
	}
	return nil, nil, nf
}

// feedRenderer returns the network's renderer when it publishes into
// documents Herald serves itself (provider.FeedRenderer): those profiles
// have feeds and items with public pages, whatever the network's id.
func (a *Posts) feedRenderer(network string) (provider.FeedRenderer, bool) {
	p, err := a.Provider(network)
	if err != nil {
		return nil, false
	}
	r, ok := p.(provider.FeedRenderer)
	return r, ok
}
