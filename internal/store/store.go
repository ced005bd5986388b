// Package store is Herald's storage seam: one interface with a SQLite
// implementation (internal/store/sqlite, the embedded default) and a
// PostgreSQL implementation (internal/store/postgres, for several nodes).
// Both are checked by one conformance suite (internal/store/storetest).
//
// Methods take ctx first; lookups of a missing row return a *herald.Error
// with code herald.ENOTFOUND, unique violations herald.ECONFLICT; no method
// returns (nil, nil). Times are stored as UTC Unix milliseconds.
package store

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

// Store is a database holding all of Herald's state.
type Store interface {
	Querier

	// InTx runs fn in one transaction, committed if fn returns nil and rolled
	// back otherwise. Work inside fn must use tx, not the Store.
	InTx(ctx context.Context, fn func(tx Tx) error) error

	// Ping checks the database is reachable.
	Ping(ctx context.Context) error

	// Close releases the database.
	Close() error
}

// Tx is a transaction. The job queue reaches the driver's transaction
// under it through the typed DriverTx of the store that made it
// (sqlite.DriverTx, postgres.DriverTx), passed to publish.New.
type Tx interface {
	Querier
}

// Querier is every query Herald runs. A Store runs each in its own
// transaction; a Tx runs them in its one.
type Querier interface {
	MediaQuerier // media.go

	CreateUser(ctx context.Context, u *herald.User) error
	FindUserByID(ctx context.Context, id string) (*herald.User, error)
	FindUserByEmail(ctx context.Context, email string) (*herald.User, error)
	UpdateUserPassword(ctx context.Context, id, hash string) error
	CountUsers(ctx context.Context) (int, error)

	CreateWorkspace(ctx context.Context, w *herald.Workspace) error
	FindWorkspaceByID(ctx context.Context, id string) (*herald.Workspace, error)
	// FindWorkspacesByUser lists the user's workspaces with UserCount set,
	// oldest first.
	FindWorkspacesByUser(ctx context.Context, userID string) ([]*herald.Workspace, error)

	CreateMember(ctx context.Context, m *herald.Member) error
	FindMember(ctx context.Context, workspaceID, userID string) (*herald.Member, error)
	// FindMembers lists a workspace's members with User set.
	FindMembers(ctx context.Context, workspaceID string) ([]*herald.Member, error)
	UpdateMemberRole(ctx context.Context, workspaceID, userID string, role herald.Role) error
	DeleteMember(ctx context.Context, workspaceID, userID string) error

	// SaveInvitation stores a pending invitation, replacing the pending one
	// of the same workspace and e-mail if there is one (id, role, inviter,
	// token and times are all replaced).
	SaveInvitation(ctx context.Context, inv *herald.Invitation) error
	// FindInvitationByTokenHash returns an invitation, pending or not.
	FindInvitationByTokenHash(ctx context.Context, hash []byte) (*herald.Invitation, error)
	// FindInvitations lists a workspace's pending invitations (expired ones
	// included), oldest first.
	FindInvitations(ctx context.Context, workspaceID string) ([]*herald.Invitation, error)
	// TakeInvitation marks a pending, unexpired invitation accepted at now
	// and returns it: a token is taken once. Any other is not found.
	TakeInvitation(ctx context.Context, hash []byte, now time.Time) (*herald.Invitation, error)
	// DeleteInvitation revokes a workspace's pending invitation.
	DeleteInvitation(ctx context.Context, workspaceID, id string) error
	// DeleteInvitationsBefore deletes invitations accepted, or pending and
	// expired, before a time.
	DeleteInvitationsBefore(ctx context.Context, before time.Time) (int, error)

	CreateAPIKey(ctx context.Context, k *herald.APIKey) error
	FindAPIKeyByHash(ctx context.Context, hash []byte) (*herald.APIKey, error)
	FindAPIKeysByUser(ctx context.Context, userID string) ([]*herald.APIKey, error)
	RevokeAPIKey(ctx context.Context, userID, id string, at time.Time) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error

	CreateSession(ctx context.Context, s *herald.Session) error
	FindSessionByHash(ctx context.Context, hash []byte) (*herald.Session, error)
	DeleteSession(ctx context.Context, id string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// DeleteSessionsByUser ends every session of a user except the one
	// with id exceptID ("" ends them all) and returns how many it ended.
	DeleteSessionsByUser(ctx context.Context, userID, exceptID string) (int, error)

	CreateSocialProfile(ctx context.Context, p *herald.SocialProfile) error
	FindSocialProfileByID(ctx context.Context, id string) (*herald.SocialProfile, error)
	FindSocialProfiles(ctx context.Context, workspaceID string) ([]*herald.SocialProfile, error)
	UpdateSocialProfile(ctx context.Context, p *herald.SocialProfile) error
	DeleteSocialProfile(ctx context.Context, id string) error

	CreateBrandKit(ctx context.Context, b *herald.BrandKit) error
	FindBrandKitByID(ctx context.Context, id string) (*herald.BrandKit, error)
	FindBrandKits(ctx context.Context, workspaceID string) ([]*herald.BrandKit, error)
	UpdateBrandKit(ctx context.Context, b *herald.BrandKit) error
	DeleteBrandKit(ctx context.Context, id string) error
	// LockBrandKit locks a brand kit's row until the transaction ends, so
	// that concurrent changes of it (read, change, write) apply one after
	// the other instead of overwriting each other.
	LockBrandKit(ctx context.Context, id string) error

	CreateHashtagLibrary(ctx context.Context, h *herald.HashtagLibrary) error
	FindHashtagLibraryByID(ctx context.Context, id string) (*herald.HashtagLibrary, error)
	FindHashtagLibraries(ctx context.Context, workspaceID string) ([]*herald.HashtagLibrary, error)
	UpdateHashtagLibrary(ctx context.Context, h *herald.HashtagLibrary) error
	DeleteHashtagLibrary(ctx context.Context, id string) error
	// LockHashtagLibrary locks a hashtag library's row until the
	// transaction ends (see LockBrandKit).
	LockHashtagLibrary(ctx context.Context, id string) error

	CreateStudioTemplate(ctx context.Context, s *herald.StudioTemplate) error
	FindStudioTemplateByID(ctx context.Context, id string) (*herald.StudioTemplate, error)
	FindStudioTemplates(ctx context.Context, workspaceID string) ([]*herald.StudioTemplate, error)
	UpdateStudioTemplate(ctx context.Context, s *herald.StudioTemplate) error
	DeleteStudioTemplate(ctx context.Context, id string) error
	// LockStudioTemplate locks a studio template's row until the
	// transaction ends (see LockBrandKit).
	LockStudioTemplate(ctx context.Context, id string) error

	// CreatePost stores a post group with its targets and its media, and
	// touches the media (at CreatedAt); an attachment naming no file is
	// ErrNoSuchMedia (see SetPostMedia).
	CreatePost(ctx context.Context, p *herald.Post) error
	// FindPostByID returns a post group with its targets (Profile set) and
	// its media.
	FindPostByID(ctx context.Context, id string) (*herald.Post, error)
	// FindPosts lists post groups newest first, with targets and media,
	// read with one query each for the whole page.
	FindPosts(ctx context.Context, f herald.PostFilter) ([]*herald.Post, error)
	// UpdatePost writes the group's own fields (not its targets, nor its
	// media: SetPostMedia changes those).
	UpdatePost(ctx context.Context, p *herald.Post) error
	DeletePost(ctx context.Context, id string) error
	CreatePostTarget(ctx context.Context, t *herald.PostTarget) error
	UpdatePostTarget(ctx context.Context, t *herald.PostTarget) error
	DeletePostTarget(ctx context.Context, id string) error

	// ClaimIdempotencyKey records a new idempotency key for the user. If the
	// key exists it returns the stored record and a *herald.Error with code
	// ECONFLICT.
	ClaimIdempotencyKey(ctx context.Context, r *IdempotencyRecord) (*IdempotencyRecord, error)
	// CompleteIdempotencyKey records the answer (Status, Body, SecretRef,
	// CompletedAt) of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error
	DeleteIdempotencyKey(ctx context.Context, userID, key string) error
	// DeleteIdempotencyKeysBefore deletes the keys created before a time and
	// returns how many it deleted.
	DeleteIdempotencyKeysBefore(ctx context.Context, before time.Time) (int, error)

	// ClaimPostTarget moves a scheduled target of the given post version to
	// publishing under a lease; false means it was not scheduled (any more) or
	// the post changed.
	ClaimPostTarget(ctx context.Context, id string, version int, leaseUntil, now time.Time) (bool, error)
	// RenewPostTargetLease takes over an attempt in flight whose lease
	// (oldLease) has run out; false means another worker took it.
	RenewPostTargetLease(ctx context.Context, id string, oldLease *time.Time, leaseUntil, now time.Time) (bool, error)
	// LockPost locks a post's row until the transaction ends, so that changes
	// of a post and the claims of its targets happen one at a time.
	LockPost(ctx context.Context, id string) error
	// CountPublishedSince counts a profile's publications since a time and
	// its attempts in flight, for posting quotas.
	CountPublishedSince(ctx context.Context, profileID string, since time.Time) (int, error)
	// LockSocialProfile locks a profile's row until the transaction ends, so
	// that quota checks and claims for one account happen one at a time.
	LockSocialProfile(ctx context.Context, id string) error
	// FindPostsPublishedTo lists the posts published to a profile, newest
	// first (for feeds).
	FindPostsPublishedTo(ctx context.Context, profileID string, limit int) ([]*herald.Post, error)
	// FindOverdueTargets lists scheduled targets of posts whose time is
	// before a time, oldest first.
	FindOverdueTargets(ctx context.Context, before time.Time, limit int) ([]OverdueTarget, error)
	// SetPostTargetJob records the job that publishes a target.
	SetPostTargetJob(ctx context.Context, targetID string, jobID int64) error
	// CountPendingTargets counts a profile's targets that are scheduled or
	// being published.
	CountPendingTargets(ctx context.Context, profileID string) (int, error)
	// FindPostIDByTargetID returns the post a target belongs to.
	FindPostIDByTargetID(ctx context.Context, targetID string) (string, error)
	// FindAllSocialProfiles lists every profile of every workspace (for key
	// rotation).
	FindAllSocialProfiles(ctx context.Context) ([]*herald.SocialProfile, error)

	HeartbeatWorkerNode(ctx context.Context, id string, startedAt, now time.Time) error
	DeleteWorkerNode(ctx context.Context, id string) error
	DeleteWorkerNodesBefore(ctx context.Context, before time.Time) error
	CountLiveWorkerNodes(ctx context.Context, since time.Time) (int, error)

	CreateOAuthApp(ctx context.Context, a *OAuthApp) error
	FindOAuthApp(ctx context.Context, provider, server, redirectURI string) (*OAuthApp, error)
	FindAllOAuthApps(ctx context.Context) ([]*OAuthApp, error)
	UpdateOAuthAppSecret(ctx context.Context, a *OAuthApp) error
	CreateOAuthState(ctx context.Context, s *OAuthState) error
	// TakeOAuthState returns a pending state and deletes it: states are used
	// once.
	TakeOAuthState(ctx context.Context, stateHash []byte) (*OAuthState, error)
	// DeleteExpiredOAuthStates deletes the states expired at now and returns
	// how many it deleted.
	DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error)
}

// OverdueTarget is a scheduled target past its time.
type OverdueTarget struct {
	TargetID    string
	PostID      string
	Version     int
	ScheduledAt time.Time
	// JobID is the target's publish job, if it has one.
	JobID *int64
}

// OAuthApp is a client registered on the fly with a network's server (a
// Mastodon instance's POST /api/v1/apps). ClientSecret is sealed.
type OAuthApp struct {
	Provider     string
	Server       string
	RedirectURI  string
	ClientID     string
	ClientSecret []byte
	CreatedAt    time.Time
}

// OAuthState is a connection flow in progress, bound to the web session
// that started it. Verifier (the PKCE verifier) is sealed.
type OAuthState struct {
	StateHash   []byte
	SessionID   string
	UserID      string
	WorkspaceID string
	Provider    string
	Server      string
	Verifier    []byte
	ExpiresAt   time.Time
}

// IdempotencyRecord remembers the answer to a POST sent with an
// Idempotency-Key header.
type IdempotencyRecord struct {
	UserID string
	Key    string
	// APIKeyID is the API key that sent the first request; only it gets the
	// answer replayed.
	APIKeyID    string
	RequestHash []byte
	// Status is 0 while the first request is in progress.
	Status int
	// Body is the answer, sealed (internal/secret) by the app.
	Body []byte
	// SecretRef names the secret the answer carries ("api_key:<id>"), if
	// any, so that the answer is not replayed once that secret is revoked.
	SecretRef   string
	CreatedAt   time.Time
	CompletedAt *time.Time
}
