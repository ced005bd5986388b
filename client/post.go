package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Post group statuses, as Ocoya names them.
const (
	StatusDraft                   = "DRAFT"
	StatusScheduled               = "SCHEDULED"
	StatusPosted                  = "POSTED"
	StatusError                   = "ERROR"
	StatusNeedsAttention          = "NEEDS_ATTENTION"
	StatusPendingClientApproval   = "PENDING_CLIENT_APPROVAL"
	StatusPendingInternalApproval = "PENDING_INTERNAL_APPROVAL"
)

// PostInput is the body of POST /post (and POST /post/validate). Caption
// is required unless MediaURLs is given; with ScheduledAt the post is
// SCHEDULED (and needs at least one profile), without it a DRAFT.
type PostInput struct {
	Caption          string     `json:"caption,omitempty"`
	MediaURLs        []string   `json:"mediaUrls,omitempty"`
	SocialProfileIDs []string   `json:"socialProfileIds,omitempty"`
	ScheduledAt      *time.Time `json:"scheduledAt,omitempty"`
}

// CreatedPost is the answer of POST /post. ID (a Herald extension) is the
// same as PostGroupID.
type CreatedPost struct {
	PostGroupID string `json:"postGroupId"`
	ID          string `json:"id"`
}

// PostCheck is the answer of POST /post/validate: what POST /post would
// create, with nothing stored.
type PostCheck struct {
	Valid   bool          `json:"valid"`
	Status  string        `json:"status"`
	Targets []TargetCheck `json:"targets"`
}

// TargetCheck is what validation found for one target profile.
type TargetCheck struct {
	SocialProfileID string `json:"socialProfileId"`
	Provider        string `json:"provider"`
	Name            string `json:"name"`
	// Characters is the caption's length as the network counts it;
	// MaxCharacters the network's limit (0: none known).
	Characters    int `json:"characters"`
	MaxCharacters int `json:"maxCharacters"`
}

// PostGroup is a post with its targets, as GET /post lists them.
type PostGroup struct {
	ID string `json:"id"`
	// PostType is "REGULAR".
	PostType    string     `json:"postType"`
	Status      string     `json:"status"`
	ScheduledAt *time.Time `json:"scheduledAt"`
	// Posts holds a GENERAL entry first, then one per network of the
	// targets, in upper case.
	Posts          []PostEntry  `json:"posts"`
	SocialProfiles []PostTarget `json:"socialProfiles"`
	// WorkspaceID, CreatedAt and UpdatedAt are Herald extensions.
	WorkspaceID string    `json:"workspaceId"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// PostEntry is the content of a post for one network (or GENERAL).
type PostEntry struct {
	Provider  string     `json:"provider"`
	Caption   string     `json:"caption"`
	Creatives []Creative `json:"creatives"`
}

// Creative is one image or video of a post.
type Creative struct {
	Image string `json:"image,omitempty"`
	Video string `json:"video,omitempty"`
}

// ProfileRef names a post's target profile.
type ProfileRef struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Image    string `json:"image"`
}

// PostTarget is one target of a post group. Every field but SocialProfile
// is a Herald extension that reports the target's publication.
type PostTarget struct {
	SocialProfile ProfileRef `json:"socialProfile"`
	// State is draft, scheduled, publishing, processing, published,
	// failed or needs_attention.
	State        string     `json:"state"`
	Late         bool       `json:"late"`
	Attempts     int        `json:"attempts"`
	ErrorCode    *string    `json:"errorCode"`
	ErrorMessage *string    `json:"errorMessage"`
	PublishedURL *string    `json:"publishedUrl"`
	RemoteID     *string    `json:"remoteId"`
	PublishedAt  *time.Time `json:"publishedAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
}

// ListPostsOptions select a page of post groups. Zero values leave the
// server's defaults (page 0, 10 per page, every status).
type ListPostsOptions struct {
	// Statuses filters by status (case-insensitive); each is sent as its
	// own statuses parameter.
	Statuses []string
	// Page counts from 0.
	Page int
	// PerPage is at most 50; larger values are clamped by the server.
	PerPage int
}

// PostPatch is the body of PATCH /post/{id}. ScheduledAt reschedules (or
// schedules a draft); Unschedule sends "scheduledAt": null, which turns the
// post back into a draft. The other fields are Herald extensions; nil
// leaves a field as it is.
type PostPatch struct {
	ScheduledAt      *time.Time
	Unschedule       bool
	Caption          *string
	MediaURLs        *[]string
	SocialProfileIDs *[]string
}

// MarshalJSON writes only the fields to change, and scheduledAt as null
// when Unschedule is set.
func (p PostPatch) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	switch {
	case p.Unschedule:
		m["scheduledAt"] = nil
	case p.ScheduledAt != nil:
		m["scheduledAt"] = p.ScheduledAt.UTC()
	}
	if p.Caption != nil {
		m["caption"] = *p.Caption
	}
	if p.MediaURLs != nil {
		m["mediaUrls"] = *p.MediaURLs
	}
	if p.SocialProfileIDs != nil {
		m["socialProfileIds"] = *p.SocialProfileIDs
	}
	return json.Marshal(m)
}

// CreatePost creates a post group (POST /post).
func (c *Client) CreatePost(ctx context.Context, workspaceID string, in PostInput, opts ...Option) (*CreatedPost, error) {
	var out CreatedPost
	if err := c.Do(ctx, http.MethodPost, "/post", wsQuery(workspaceID), utcInput(in), &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// ValidatePost runs every check of CreatePost and stores nothing (POST
// /post/validate, a Herald extension). A body CreatePost would refuse gets
// the same *APIError.
func (c *Client) ValidatePost(ctx context.Context, workspaceID string, in PostInput, opts ...Option) (*PostCheck, error) {
	var out PostCheck
	if err := c.Do(ctx, http.MethodPost, "/post/validate", wsQuery(workspaceID), utcInput(in), &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListPosts lists a workspace's post groups, newest first (GET /post).
func (c *Client) ListPosts(ctx context.Context, workspaceID string, lo ListPostsOptions, opts ...Option) ([]PostGroup, error) {
	q := url.Values{"workspaceId": {workspaceID}}
	for _, s := range lo.Statuses {
		q.Add("statuses", s)
	}
	if lo.Page != 0 {
		q.Set("page", strconv.Itoa(lo.Page))
	}
	if lo.PerPage != 0 {
		q.Set("perPage", strconv.Itoa(lo.PerPage))
	}
	var out []PostGroup
	if err := c.Do(ctx, http.MethodGet, "/post", q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// GetPost returns one post group (GET /post/{id}). Add WithWorkspace to
// have Herald check the post is in that workspace.
func (c *Client) GetPost(ctx context.Context, id string, opts ...Option) (*PostGroup, error) {
	var out PostGroup
	if err := c.Do(ctx, http.MethodGet, "/post/"+seg(id), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdatePost reschedules a post, turns it back into a draft or changes its
// content (PATCH /post/{id}). A post being published or already published
// is answered 409.
func (c *Client) UpdatePost(ctx context.Context, id string, patch PostPatch, opts ...Option) error {
	return c.Do(ctx, http.MethodPatch, "/post/"+seg(id), nil, patch, &struct{}{}, opts...)
}

// DeletePost deletes a post and cancels its pending publication (DELETE
// /post/{id}). Add WithQuery("remote", "true") to have Herald first delete
// what was published from the networks (a Herald extension).
func (c *Client) DeletePost(ctx context.Context, id string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, "/post/"+seg(id), nil, nil, &struct{}{}, opts...)
}

// utcInput sends scheduledAt in UTC, the form Ocoya documents.
func utcInput(in PostInput) PostInput {
	if in.ScheduledAt != nil {
		t := in.ScheduledAt.UTC()
		in.ScheduledAt = &t
	}
	return in
}

// PublishPost publishes a draft or scheduled post now (POST
// /post/{id}/publish, a Herald extension).
func (c *Client) PublishPost(ctx context.Context, id string, opts ...Option) error {
	return c.Do(ctx, http.MethodPost, "/post/"+seg(id)+"/publish", nil, nil, &struct{}{}, opts...)
}

// RetryPost publishes again the targets of a post that failed (POST
// /post/{id}/retry, a Herald extension). A target whose outcome is unknown
// (needs_attention) may already be on the network: confirm says the
// caller checked it is not; without it such a retry is a 409.
func (c *Client) RetryPost(ctx context.Context, id string, confirm bool, opts ...Option) error {
	in := struct {
		Confirm bool `json:"confirm"`
	}{confirm}
	return c.Do(ctx, http.MethodPost, "/post/"+seg(id)+"/retry", nil, in, &struct{}{}, opts...)
}
