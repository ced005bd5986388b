package api

import (
	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

// The wire shapes of the API. Field names and order follow Ocoya's; fields
// Ocoya does not document are Herald's extensions and say so in their doc.

type meResponse struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type workspaceResponse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	UserCount int    `json:"userCount" doc:"Number of members."`
}

func toWorkspace(w *herald.Workspace) workspaceResponse {
	return workspaceResponse{ID: w.ID, Name: w.Name, UserCount: w.UserCount}
}

type workspaceRequest struct {
	Name string `json:"name" doc:"The workspace's name." required:"true"`
}

type memberResponse struct {
	UserID    string `json:"userId"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Role      string `json:"role" enum:"owner,admin,editor,viewer"`
	CreatedAt string `json:"createdAt"`
}

func toMember(m *herald.Member) memberResponse {
	r := memberResponse{UserID: m.UserID, Role: string(m.Role), CreatedAt: herald.FormatTime(m.CreatedAt)}
	if m.User != nil {
		r.Name, r.Email = m.User.Name, m.User.Email
	}
	return r
}

type inviteRequest struct {
	Email string `json:"email" required:"true"`
	Role  string `json:"role" enum:"owner,admin,editor,viewer" doc:"Defaults to editor. Viewers cannot create posts."`
}

type invitationResponse struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Role      string `json:"role" enum:"owner,admin,editor,viewer"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt" doc:"The accept link works once, until then."`
	AcceptURL string `json:"acceptUrl,omitempty" doc:"The one-time accept link, for the inviter to pass on; only in the answer that creates the invitation, and only when Herald did not e-mail it (no SMTP configured, or sending failed)."`
}

func toInvitation(inv *herald.Invitation) invitationResponse {
	return invitationResponse{ID: inv.ID, Email: inv.Email, Role: string(inv.Role), CreatedAt: herald.FormatTime(inv.CreatedAt), ExpiresAt: herald.FormatTime(inv.ExpiresAt)}
}

type apiKeyResponse struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix" doc:"The key's first characters, to recognise it."`
	CreatedAt  string  `json:"createdAt"`
	LastUsedAt *string `json:"lastUsedAt"`
	RevokedAt  *string `json:"revokedAt"`
	Key        string  `json:"key,omitempty" doc:"The secret key, only in the answer that creates it."`
}

func toAPIKey(k *herald.APIKey) apiKeyResponse {
	return apiKeyResponse{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: herald.FormatTime(k.CreatedAt),
		LastUsedAt: timePtr(k.LastUsedAt), RevokedAt: timePtr(k.RevokedAt)}
}

type apiKeyRequest struct {
	Name string `json:"name" doc:"A name to recognise the key by."`
}

type socialProfileResponse struct {
	ID          string `json:"id"`
	Provider    string `json:"provider" doc:"The network, lower case."`
	Name        string `json:"name"`
	Image       string `json:"image"`
	WorkspaceID string `json:"workspaceId"`
	Status      string `json:"status" enum:"connected,needs_reconnect" doc:"Herald extension: whether the connection works."`
	StatusMsg   string `json:"statusMessage,omitempty" doc:"Herald extension: why the connection needs attention."`
}

func toProfile(p *herald.SocialProfile) socialProfileResponse {
	return socialProfileResponse{ID: p.ID, Provider: p.Provider, Name: p.Name, Image: p.Image, WorkspaceID: p.WorkspaceID, Status: p.Status, StatusMsg: p.StatusMessage}
}

type connectionURLRequest struct {
	Provider string `json:"provider" required:"true" doc:"A network Herald connects through a browser (as in GET /social-profiles/connection-url); Ocoya's others answer 400 until Herald supports them."`
}

// connectProfileRequest is the part of POST /social-profiles every network
// shares; the rest is the network's own (provider.Connect.Credentials), and
// the document's schema of the body is built from the registry
// (connectBodySchema).
type connectProfileRequest struct {
	Provider string `json:"provider" required:"true"`
}

type retryRequest struct {
	Confirm bool `json:"confirm" doc:"Required when a target's outcome is unknown (needs_attention): you checked that the post is not on the network."`
}

type connectionURLResponse struct {
	URL string `json:"url" doc:"The page to open, signed in, to connect the network."`
	app.ConnectionInfo
}

type brandKitRequest struct {
	Name        string   `json:"name" required:"true"`
	Description string   `json:"description" doc:"The brand's voice: audience, tone, what it stands for."`
	Colors      []string `json:"colors" doc:"Hex colors such as #1A2B3C."`
	Fonts       []string `json:"fonts"`
	LogoURL     string   `json:"logoUrl"`
	DoWords     []string `json:"doWords" doc:"Words and phrases to use."`
	DontWords   []string `json:"dontWords" doc:"Words and phrases to avoid."`
}

type brandKitPatch struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Colors      *[]string `json:"colors"`
	Fonts       *[]string `json:"fonts"`
	LogoURL     *string   `json:"logoUrl"`
	DoWords     *[]string `json:"doWords"`
	DontWords   *[]string `json:"dontWords"`
}

type brandKitResponse struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Colors      []string `json:"colors"`
	Fonts       []string `json:"fonts"`
	LogoURL     string   `json:"logoUrl"`
	DoWords     []string `json:"doWords"`
	DontWords   []string `json:"dontWords"`
	WorkspaceID string   `json:"workspaceId"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
}

func toBrandKit(b *herald.BrandKit) brandKitResponse {
	return brandKitResponse{ID: b.ID, Name: b.Name, Description: b.Description, Colors: nonNil(b.Colors), Fonts: nonNil(b.Fonts), LogoURL: b.LogoURL,
		DoWords: nonNil(b.DoWords), DontWords: nonNil(b.DontWords), WorkspaceID: b.WorkspaceID, CreatedAt: herald.FormatTime(b.CreatedAt), UpdatedAt: herald.FormatTime(b.UpdatedAt)}
}

type hashtagLibraryRequest struct {
	Name     string   `json:"name" required:"true"`
	Hashtags []string `json:"hashtags" doc:"Hashtags; a missing leading # is added, duplicates are dropped."`
}

type hashtagLibraryPatch struct {
	Name     *string   `json:"name"`
	Hashtags *[]string `json:"hashtags"`
}

type hashtagLibraryResponse struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Hashtags    []string `json:"hashtags"`
	WorkspaceID string   `json:"workspaceId"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
}

func toHashtagLibrary(h *herald.HashtagLibrary) hashtagLibraryResponse {
	return hashtagLibraryResponse{ID: h.ID, Name: h.Name, Hashtags: nonNil(h.Hashtags), WorkspaceID: h.WorkspaceID, CreatedAt: herald.FormatTime(h.CreatedAt), UpdatedAt: herald.FormatTime(h.UpdatedAt)}
}

type studioTemplateRequest struct {
	Name         string `json:"name" required:"true"`
	Description  string `json:"description"`
	ThumbnailURL string `json:"thumbnailUrl"`
	Width        int    `json:"width" doc:"Pixels."`
	Height       int    `json:"height" doc:"Pixels."`
}

type studioTemplatePatch struct {
	Name         *string `json:"name"`
	Description  *string `json:"description"`
	ThumbnailURL *string `json:"thumbnailUrl"`
	Width        *int    `json:"width"`
	Height       *int    `json:"height"`
}

type studioTemplateResponse struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	ThumbnailURL string `json:"thumbnailUrl"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	WorkspaceID  string `json:"workspaceId"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`
}

func toStudioTemplate(s *herald.StudioTemplate) studioTemplateResponse {
	return studioTemplateResponse{ID: s.ID, Name: s.Name, Description: s.Description, ThumbnailURL: s.ThumbnailURL, Width: s.Width, Height: s.Height,
		WorkspaceID: s.WorkspaceID, CreatedAt: herald.FormatTime(s.CreatedAt), UpdatedAt: herald.FormatTime(s.UpdatedAt)}
}

type createPostRequest struct {
	Caption          string             `json:"caption" doc:"Up to 10,000 characters; required unless mediaUrls is given."`
	Options          herald.PostOptions `json:"options" type:"object" doc:"Herald extension: per-network settings, such as {\"mastodon\": {\"visibility\": \"unlisted\", \"spoilerText\": \"…\", \"language\": \"en\", \"sensitive\": \"true\"}, \"bluesky\": {\"language\": \"en,de\"}, \"telegram\": {\"parseMode\": \"HTML\"}}."`
	MediaURLs        []string           `json:"mediaUrls" doc:"Public URLs of images (PNG, JPEG, GIF, WebP) or videos (MP4, MOV), at most 20. Herald downloads and checks them when the post is created (5 MiB each by default) and publishes exactly those files; a URL of a file on this Herald (the url of POST /media or of a post's creatives) is used without downloading. Each target network's rules are checked; where a copy fixes a rule without visible loss (PNG to JPEG, a smaller image) Herald makes it for that network."`
	SocialProfileIDs []string           `json:"socialProfileIds" doc:"Profiles of this workspace to publish to."`
	ScheduledAt      optionalTime       `json:"scheduledAt" type:"string,null" format:"date-time" doc:"When to publish (ISO-8601 with a zone). Without it the post is a draft."`
}

type patchPostRequest struct {
	ScheduledAt      optionalTime        `json:"scheduledAt" type:"string,null" format:"date-time" doc:"New time to publish; null turns the post back into a draft."`
	Caption          *string             `json:"caption" doc:"Herald extension."`
	Options          *herald.PostOptions `json:"options" type:"object" doc:"Herald extension: per-network settings (see POST /post)."`
	MediaURLs        *[]string           `json:"mediaUrls" doc:"Herald extension: replaces the files, downloaded and checked as in POST /post."`
	SocialProfileIDs *[]string           `json:"socialProfileIds" doc:"Herald extension: replaces the targets."`
}

type createPostResponse struct {
	PostGroupID string `json:"postGroupId"`
	ID          string `json:"id" doc:"The same as postGroupId."`
}

type emptyResponse struct{}

type creative struct {
	Image string `json:"image,omitempty"`
	Video string `json:"video,omitempty"`
}

type postEntry struct {
	Provider  string     `json:"provider" doc:"GENERAL, then one entry per network in upper case."`
	Caption   string     `json:"caption"`
	Creatives []creative `json:"creatives"`
}

type profileRef struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Image    string `json:"image"`
}

type targetResponse struct {
	SocialProfile profileRef `json:"socialProfile"`
	State         string     `json:"state" enum:"draft,scheduled,publishing,processing,published,failed,needs_attention" doc:"Herald extension: this target's publishing state."`
	Late          bool       `json:"late" doc:"Herald extension: published or ended, or still waiting, more than 10 seconds after scheduledAt (the same rule for every target)."`
	LateReason    *string    `json:"lateReason" doc:"Herald extension: why a late target was or is late."`
	NextAttemptAt *string    `json:"nextAttemptAt" doc:"Herald extension: when a deferred or retried target is tried again."`
	Attempts      int        `json:"attempts" doc:"Herald extension."`
	ErrorCode     *string    `json:"errorCode" doc:"Herald extension: the network's error code."`
	ErrorMessage  *string    `json:"errorMessage" doc:"Herald extension: the network's own reason."`
	PublishedURL  *string    `json:"publishedUrl" doc:"Herald extension: the post on the network."`
	RemoteID      *string    `json:"remoteId" doc:"Herald extension: the network's id of the post."`
	PublishedAt   *string    `json:"publishedAt" doc:"Herald extension."`
	UpdatedAt     string     `json:"updatedAt" doc:"Herald extension."`
}

type postGroupResponse struct {
	ID             string             `json:"id"`
	PostType       string             `json:"postType" enum:"REGULAR"`
	Status         string             `json:"status" enum:"DRAFT,SCHEDULED,POSTED,ERROR,NEEDS_ATTENTION,PENDING_CLIENT_APPROVAL,PENDING_INTERNAL_APPROVAL"`
	ScheduledAt    *string            `json:"scheduledAt"`
	Posts          []postEntry        `json:"posts"`
	SocialProfiles []targetResponse   `json:"socialProfiles"`
	WorkspaceID    string             `json:"workspaceId" doc:"Herald extension."`
	Options        herald.PostOptions `json:"options" type:"object" doc:"Herald extension: per-network settings."`
	CreatedAt      string             `json:"createdAt" doc:"Herald extension."`
	UpdatedAt      string             `json:"updatedAt" doc:"Herald extension."`
}

func toPostGroup(a *app.App, p *herald.Post) postGroupResponse {
	creatives := make([]creative, 0, len(p.Media))
	for _, m := range p.Media {
		if u := a.PostMediaURL(m); m.Kind == "video" {
			creatives = append(creatives, creative{Video: u})
		} else {
			creatives = append(creatives, creative{Image: u})
		}
	}
	r := postGroupResponse{ID: p.ID, PostType: p.PostType, Status: string(p.Status), ScheduledAt: timePtr(p.ScheduledAt),
		Posts:          []postEntry{{Provider: "GENERAL", Caption: p.Caption, Creatives: creatives}},
		SocialProfiles: make([]targetResponse, 0, len(p.Targets)),
		WorkspaceID:    p.WorkspaceID, Options: p.Options, CreatedAt: herald.FormatTime(p.CreatedAt), UpdatedAt: herald.FormatTime(p.UpdatedAt)}
	if r.Options == nil {
		r.Options = herald.PostOptions{}
	}
	seen := map[string]bool{}
	for _, t := range p.Targets {
		if up := herald.NetworkUpper(t.Provider); !seen[up] {
			seen[up] = true
			r.Posts = append(r.Posts, postEntry{Provider: up, Caption: p.Caption, Creatives: creatives})
		}
		ref := profileRef{ID: t.SocialProfileID, Provider: t.Provider}
		if t.Profile != nil {
			ref.Name, ref.Image = t.Profile.Name, t.Profile.Image
		}
		late := a.IsLate(p, t)
		var reason *string
		if late {
			reason = strPtr(a.LateReason(p, t))
		}
		r.SocialProfiles = append(r.SocialProfiles, targetResponse{SocialProfile: ref, State: string(t.State), Late: late, LateReason: reason, NextAttemptAt: timePtr(t.NextAttemptAt), Attempts: t.Attempts,
			ErrorCode: strPtr(t.ErrorCode), ErrorMessage: strPtr(t.ErrorMessage), PublishedURL: strPtr(t.RemoteURL), RemoteID: strPtr(t.RemoteID),
			PublishedAt: timePtr(t.PublishedAt), UpdatedAt: herald.FormatTime(t.UpdatedAt)})
	}
	return r
}

type validatePostResponse struct {
	app.PostCheck
}

type healthResponse struct {
	Status string `json:"status"`
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
