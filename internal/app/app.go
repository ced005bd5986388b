// Package app holds Herald's use cases. Every rule, permission check,
// transaction and job enqueue happens here once; the REST API, the web app,
// the MCP server and the CLI all call it.
package app

import (
	"context"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Config is what the use cases need to know of the deployment.
type Config struct {
	// PublicURL is where users and networks reach this Herald
	// ("https://herald.example.org"), without a trailing slash.
	PublicURL string
	// SessionTTL is how long a web session lasts.
	SessionTTL time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered.
	IdempotencyTTL time.Duration
	// MaxScheduleAhead bounds how far in the future a post may be scheduled.
	MaxScheduleAhead time.Duration
	// PasswordHashes is how many passwords may be hashed or checked at
	// once, each holding 19 MiB; 0 means DefaultPasswordHashes.
	PasswordHashes int
}

// Scheduler puts a post's publication on the durable job queue. Its methods
// run inside the transaction that changes the post, so that the jobs and
// the post are committed together or not at all.
type Scheduler interface {
	// Schedule enqueues the publication of p's scheduled targets at
	// p.ScheduledAt for p.Version.
	Schedule(ctx context.Context, tx store.Tx, p *herald.Post) error
	// Unschedule cancels the pending publication of p's targets.
	Unschedule(ctx context.Context, tx store.Tx, p *herald.Post) error
}

// App is Herald's application layer: the use cases of each aggregate, as
// GoToSocial splits its processing. Each aggregate is its own type built
// from only what it needs; App embeds them so that the front doors call
// one layer (app.CreatePost, app.SignIn), and a use case's dependencies are
// those of its aggregate, all given to New.
type App struct {
	base
	*Accounts     // users, sessions, API keys, passwords (auth.go, password.go)
	*Workspaces   // workspaces, members, invitations (workspace.go, invitation.go)
	*Connections  // social profiles: connecting, OAuth, credentials (profile.go, oauth.go, connection.go)
	*Posts        // post groups, their targets, scheduling, publishing, feeds (post.go, text.go, publish.go, feed.go)
	*MediaLibrary // uploaded and fetched media, and the media of posts (media.go)
	*Assets       // brand kits, hashtag libraries, studio templates (asset.go)
	*Idempotency  // Idempotency-Key replays (idempotency.go)
}

// base is what every aggregate reads: the leaf services (store, settings,
// clock, networks, sealer, media store) and the caller's rights in a
// workspace.
type base struct {
	*Services
}

// Accounts are the use cases of users, their sessions, API keys and
// passwords.
type Accounts struct {
	base
	keys keyCache

	touchMu sync.Mutex
	touched map[string]time.Time // API key id → last time written

	// hasher bounds concurrent password hashing, and throttle refuses the
	// password attempts of addresses and accounts that keep failing
	// (password.go).
	hasher   *hasher
	throttle *throttle
	// dummyHash is checked when a sign-in names an unknown user, so that the
	// answer takes as long as for a known one.
	dummyHash string
}

// NewAccounts returns the accounts aggregate; hasher is shared with
// Workspaces, which creates accounts for invitations.
func newAccounts(b base, h *hasher) *Accounts {
	return &Accounts{base: b, touched: map[string]time.Time{}, hasher: h, throttle: newThrottle(throttleEntries), dummyHash: dummyHash()}
}

// Workspaces are the use cases of workspaces, their members and
// invitations.
type Workspaces struct {
	base
	mailer Mailer // nil: no e-mail
	hasher *hasher
	// accounts signs in the account an invitation creates.
	accounts *Accounts
}

// Connections are the use cases of social profiles: listing, connecting
// with credentials or OAuth, disconnecting, resealing credentials.
type Connections struct {
	base
}

// Posts are the use cases of post groups: creating, validating, editing,
// scheduling, publishing now, retrying, deleting (remotely too), and the
// feeds of feed profiles.
type Posts struct {
	base
	sched Scheduler
	// media resolves and links the media of posts.
	media *MediaLibrary
}

// MediaLibrary holds the use cases of a workspace's media: uploads, URLs
// fetched, alt text, deletion and collection, and the preparation of the
// media of posts for their networks.
type MediaLibrary struct {
	base
}

// Assets are the use cases of brand kits, hashtag libraries and studio
// templates.
type Assets struct {
	base
}

// Idempotency replays answers to requests sent again with the same
// Idempotency-Key.
type Idempotency struct {
	base
}

// Deps are what App is built from. Services and Scheduler are required: an
// app that stores scheduled posts nothing publishes cannot be built.
type Deps struct {
	// Services are the store, settings, networks and media, shared with the
	// publishing engine (NewServices).
	Services *Services
	// Scheduler puts publications on the job queue: the publishing engine,
	// or NeverPublish for commands that never publish (init, password).
	Scheduler Scheduler
	// Mailer sends invitation e-mails; nil means no SMTP server is
	// configured and invitation links are handed to the inviter instead.
	Mailer Mailer
}

// New returns the application layer. It panics if a required dependency is
// missing: that is a wiring mistake of the composition root, not a state to
// run in.
func New(d Deps) *App {
	if d.Services == nil || d.Scheduler == nil {
		panic("app.New: Services and Scheduler are required")
	}
	b := base{d.Services}
	h := newHasher(d.Services.cfg.PasswordHashes)
	accounts := newAccounts(b, h)
	lib := &MediaLibrary{base: b}
	return &App{
		base:         b,
		Accounts:     accounts,
		Workspaces:   &Workspaces{base: b, mailer: d.Mailer, hasher: h, accounts: accounts},
		Connections:  &Connections{base: b},
		Posts:        &Posts{base: b, sched: d.Scheduler, media: lib},
		MediaLibrary: lib,
		Assets:       &Assets{base: b},
		Idempotency:  &Idempotency{base: b},
	}
}

// Now returns the current time in UTC, truncated to the stores' millisecond
// precision.
func (a *Services) Now() time.Time { return a.now().UTC().Truncate(time.Millisecond) }

// Config returns the configuration.
func (a *Services) Config() Config { return a.cfg }

// Ping checks that the database answers.
func (a *App) Ping(ctx context.Context) error { return a.store.Ping(ctx) }

// currentUser returns the authenticated user or an unauthorized error.
func currentUser(ctx context.Context) (*herald.User, error) {
	u := herald.UserFromContext(ctx)
	if u == nil {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "Missing API token.")
	}
	return u, nil
}

// member returns the caller's membership of a workspace. A workspace the
// caller is not a member of does not exist, as far as the caller can tell.
func (a *base) member(ctx context.Context, q store.Querier, workspaceID string) (*herald.Member, error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if workspaceID == "" {
		return nil, herald.Errorf(herald.EINVALID, "workspaceId: is required")
	}
	if !herald.ValidID(workspaceID) {
		return nil, herald.Errorf(herald.ENOTFOUND, "Workspace %q not found.", workspaceID)
	}
	m, err := q.FindMember(ctx, workspaceID, u.ID)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, herald.Errorf(herald.ENOTFOUND, "Workspace %q not found.", workspaceID)
	}
	return m, err
}

// writer is member plus the right to create and change content.
func (a *base) writer(ctx context.Context, q store.Querier, workspaceID, action string) (*herald.Member, error) {
	m, err := a.member(ctx, q, workspaceID)
	if err != nil {
		return nil, err
	}
	if !m.Role.CanWrite() {
		return nil, herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot %s.", m.Role, action)
	}
	return m, nil
}

// manager is member plus the right to manage members and connections.
func (a *base) manager(ctx context.Context, q store.Querier, workspaceID, action string) (*herald.Member, error) {
	m, err := a.member(ctx, q, workspaceID)
	if err != nil {
		return nil, err
	}
	if !m.Role.CanManage() {
		return nil, herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot %s.", m.Role, action)
	}
	return m, nil
}
