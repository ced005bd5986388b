package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// touchEvery bounds how often an API key's last-used time is written, so
// that authentication does not cost a write per request.
const touchEvery = time.Minute

// AuthenticateAPIKey returns the user an API key belongs to. A missing key
// is unauthorized; an unknown or revoked key is forbidden, as Ocoya answers.
func (a *Accounts) AuthenticateAPIKey(ctx context.Context, key string) (*herald.User, *herald.APIKey, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, nil, herald.Errorf(herald.EUNAUTHORIZED, "Missing API token.")
	}
	invalid := herald.Errorf(herald.EFORBIDDEN, "Invalid API token.")
	if len(key) > 200 {
		return nil, nil, invalid
	}
	hash := sha(key)
	if u, k := a.keys.get(string(hash), a.Now()); u != nil {
		a.touch(ctx, k.ID)
		return u, k, nil
	}
	k, err := a.store.FindAPIKeyByHash(ctx, hash)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, nil, invalid
	} else if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(k.Hash, hash) != 1 || k.RevokedAt != nil {
		return nil, nil, invalid
	}
	u, err := a.store.FindUserByID(ctx, k.UserID)
	if err != nil {
		return nil, nil, err
	}
	a.keys.put(string(hash), u, k, a.Now())
	a.touch(ctx, k.ID)
	return u, k, nil
}

// keyCacheTTL is how long a verified API key is trusted without reading
// the database again: two queries saved on most requests, at the price of a
// key revoked on another node working there for up to this long (this node
// forgets it at once).
const keyCacheTTL = 5 * time.Second

// keyCache remembers verified API keys for keyCacheTTL.
type keyCache struct {
	mu      sync.Mutex
	entries map[string]keyEntry // by the key's SHA-256
}

type keyEntry struct {
	user    *herald.User
	key     *herald.APIKey
	expires time.Time
}

func (c *keyCache) get(hash string, now time.Time) (*herald.User, *herald.APIKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || !now.Before(e.expires) {
		return nil, nil
	}
	return e.user, e.key
}

func (c *keyCache) put(hash string, u *herald.User, k *herald.APIKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= 10000 {
		c.entries = map[string]keyEntry{} // bounded: start afresh
	}
	c.entries[hash] = keyEntry{user: u, key: k, expires: now.Add(keyCacheTTL)}
}

// forget drops a key (revoked on this node) at once.
func (c *keyCache) forget(keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if e.key.ID == keyID {
			delete(c.entries, h)
		}
	}
}

func (a *Accounts) touch(ctx context.Context, keyID string) {
	now := a.Now()
	a.touchMu.Lock()
	last, ok := a.touched[keyID]
	if ok && now.Sub(last) < touchEvery {
		a.touchMu.Unlock()
		return
	}
	a.touched[keyID] = now
	a.touchMu.Unlock()
	if err := a.store.TouchAPIKey(ctx, keyID, now); err != nil {
		a.log.WarnContext(ctx, "record API key use", "api_key_id", keyID, "error", err)
	}
}

// CreateAPIKey creates an API key for the current user and returns it with
// its secret, which is shown this once.
func (a *Accounts) CreateAPIKey(ctx context.Context, name string) (*herald.APIKey, string, error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, "", err
	}
	if name == "" {
		name = "API key"
	}
	if err := herald.ValidateName("name", name, 100); err != nil {
		return nil, "", err
	}
	k, secret, err := a.createAPIKey(ctx, a.store, u.ID, name)
	if err == nil {
		noteIdempotentSecret(ctx, secretAPIKey, k.ID)
	}
	return k, secret, err
}

func (a *Accounts) createAPIKey(ctx context.Context, q store.Querier, userID, name string) (*herald.APIKey, string, error) {
	secret := newAPIKeySecret()
	k := &herald.APIKey{ID: herald.NewID(), UserID: userID, Name: name, Prefix: secret[:len(APIKeyPrefix)+6], Hash: sha(secret), CreatedAt: a.Now()}
	if err := q.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// ListAPIKeys lists the current user's API keys (never their secrets).
func (a *Accounts) ListAPIKeys(ctx context.Context) ([]*herald.APIKey, error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	return a.store.FindAPIKeysByUser(ctx, u.ID)
}

// RevokeAPIKey revokes one of the current user's API keys.
func (a *Accounts) RevokeAPIKey(ctx context.Context, id string) error {
	u, err := currentUser(ctx)
	if err != nil {
		return err
	}
	if !herald.ValidID(id) {
		return herald.Errorf(herald.ENOTFOUND, "API key %q not found.", id)
	}
	err = a.store.RevokeAPIKey(ctx, u.ID, id, a.Now())
	a.keys.forget(id)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return herald.Errorf(herald.ENOTFOUND, "API key %q not found.", id)
	}
	return err
}

// SignIn checks an e-mail and password and opens a web session. It returns
// the session and its token, to be set as a cookie. Attempts are throttled
// by client address (herald.ClientAddrFromContext) and by account, known or
// not: a refused one is ERATELIMITED, with RetryAfter.
func (a *Accounts) SignIn(ctx context.Context, email, password string) (*herald.Session, string, error) {
	bad := herald.Errorf(herald.EUNAUTHORIZED, "Wrong e-mail or password.")
	if len(email) > 320 || len(password) > maxPasswordLen {
		return nil, "", bad
	}
	u, err := a.store.FindUserByEmail(ctx, herald.NormalizeEmail(email))
	hash := a.dummyHash // an unknown user takes as long as a known one
	switch {
	case err == nil:
		hash = u.PasswordHash
	case herald.ErrorCode(err) != herald.ENOTFOUND:
		return nil, "", err
	}
	ok, verr := a.verifyPassword(ctx, "sign-in", email, hash, password)
	if verr != nil {
		return nil, "", verr
	}
	if !ok || err != nil {
		return nil, "", bad
	}
	token := randomString(43)
	now := a.Now()
	s := &herald.Session{ID: herald.NewID(), UserID: u.ID, Hash: sha(token), CSRFToken: randomString(32), CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL)}
	if err := a.store.CreateSession(ctx, s); err != nil {
		return nil, "", err
	}
	return s, token, nil
}

// AuthenticateSession returns the session and user of a session token.
func (a *Accounts) AuthenticateSession(ctx context.Context, token string) (*herald.Session, *herald.User, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, herald.Errorf(herald.EUNAUTHORIZED, "Please sign in.")
	}
	s, err := a.store.FindSessionByHash(ctx, sha(token))
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, nil, herald.Errorf(herald.EUNAUTHORIZED, "Please sign in.")
	} else if err != nil {
		return nil, nil, err
	}
	if !a.Now().Before(s.ExpiresAt) {
		return nil, nil, herald.Errorf(herald.EUNAUTHORIZED, "Your session has expired; please sign in again.")
	}
	u, err := a.store.FindUserByID(ctx, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	return s, u, nil
}

// SignOut ends a web session.
func (a *Accounts) SignOut(ctx context.Context, sessionID string) error {
	return a.store.DeleteSession(ctx, sessionID)
}

// InitParams are the inputs of Init.
type InitParams struct {
	Email     string
	Name      string
	Workspace string
}

// InitResult is what Init created. Password is empty when the user existed.
type InitResult struct {
	UserID      string `json:"userId"`
	WorkspaceID string `json:"workspaceId"`
	APIKey      string `json:"apiKey"`
	Password    string `json:"password"`
	Email       string `json:"email"`
	Created     bool   `json:"created"`
}

// Init sets Herald up for a person: with a new e-mail it creates the user
// (with a generated web password), a workspace they own and an API key; with
// an e-mail it knows it adds a new API key.
func (a *Accounts) Init(ctx context.Context, p InitParams) (*InitResult, error) {
	p.Email = herald.NormalizeEmail(p.Email)
	if err := herald.ValidateEmail("email", p.Email); err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = strings.SplitN(p.Email, "@", 2)[0]
	}
	if err := herald.ValidateName("name", p.Name, 200); err != nil {
		return nil, err
	}
	if p.Workspace == "" {
		p.Workspace = p.Name + "'s workspace"
	}
	if err := herald.ValidateName("workspace", p.Workspace, 200); err != nil {
		return nil, err
	}
	// A new user's password is hashed before the transaction: hashing is
	// slow and waits its turn (password.go).
	password := newPassword()
	hash, err := a.hasher.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var res *InitResult
	initTx := func(tx store.Tx) error {
		res = &InitResult{Email: p.Email}
		u, err := tx.FindUserByEmail(ctx, p.Email)
		now := a.Now()
		switch {
		case herald.ErrorCode(err) == herald.ENOTFOUND:
			res.Password = password
			res.Created = true
			u = &herald.User{ID: herald.NewID(), Name: p.Name, Email: p.Email, PasswordHash: hash, CreatedAt: now}
			if err := tx.CreateUser(ctx, u); herald.ErrorCode(err) == herald.ECONFLICT {
				return &userCreated{err}
			} else if err != nil {
				return err
			}
			w := &herald.Workspace{ID: herald.NewID(), Name: p.Workspace, CreatedAt: now}
			if err := tx.CreateWorkspace(ctx, w); err != nil {
				return err
			}
			if err := tx.CreateMember(ctx, &herald.Member{WorkspaceID: w.ID, UserID: u.ID, Role: herald.RoleOwner, CreatedAt: now}); err != nil {
				return err
			}
			res.WorkspaceID = w.ID
		case err != nil:
			return err
		default:
			ws, err := tx.FindWorkspacesByUser(ctx, u.ID)
			if err != nil {
				return err
			}
			if len(ws) > 0 {
				res.WorkspaceID = ws[0].ID
			}
		}
		res.UserID = u.ID
		_, secret, err := a.createAPIKey(ctx, tx, u.ID, "herald init")
		res.APIKey = secret
		return err
	}
	err = a.store.InTx(ctx, initTx)
	if errors.As(err, new(*userCreated)) {
		// Another init (or an invitation) created the same e-mail at the
		// same moment: it exists now, so this one adds an API key.
		err = a.store.InTx(ctx, initTx)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// IsEmpty reports whether no user exists yet (a fresh installation).
func (a *Accounts) IsEmpty(ctx context.Context) (bool, error) {
	n, err := a.store.CountUsers(ctx)
	return n == 0, err
}

// minPasswordLen and maxPasswordLen bound a password a person chooses.
const (
	minPasswordLen = 12
	maxPasswordLen = 1000
)

func validatePassword(field, password string) error {
	if len(password) < minPasswordLen {
		return herald.Errorf(herald.EINVALID, "%s: must be at least %d characters", field, minPasswordLen)
	}
	if len(password) > maxPasswordLen {
		return herald.Errorf(herald.EINVALID, "%s: must be at most %d characters", field, maxPasswordLen)
	}
	return nil
}

// SetPassword sets a user's web password and ends all their sessions (for
// the operator, through the CLI).
func (a *Accounts) SetPassword(ctx context.Context, email, password string) error {
	if err := validatePassword("password", password); err != nil {
		return err
	}
	hash, err := a.hasher.hash(ctx, password)
	if err != nil {
		return err
	}
	return a.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.FindUserByEmail(ctx, herald.NormalizeEmail(email))
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return herald.Errorf(herald.ENOTFOUND, "No user has the e-mail %q.", herald.NormalizeEmail(email))
		} else if err != nil {
			return err
		}
		return a.replacePassword(ctx, tx, u.ID, hash, "")
	})
}

// ResetPassword gives a user a new generated web password, returned once,
// and ends all their sessions (herald reset-password).
func (a *Accounts) ResetPassword(ctx context.Context, email string) (string, error) {
	password := newPassword()
	if err := a.SetPassword(ctx, email, password); err != nil {
		return "", err
	}
	return password, nil
}

// ChangePasswordParams are the inputs of ChangePassword.
type ChangePasswordParams struct {
	Current string
	New     string
	// Confirm, when the form asks for it, must repeat New.
	Confirm string
	// KeepSessionID is the session making the change, which stays signed
	// in; the user's other sessions end. "" ends them all.
	KeepSessionID string
}

// ChangePassword changes the current user's web password. The current
// password is checked like a sign-in (bounded and throttled), and the
// user's other sessions end.
func (a *Accounts) ChangePassword(ctx context.Context, p ChangePasswordParams) error {
	u, err := currentUser(ctx)
	if err != nil {
		return err
	}
	if p.Current == "" {
		return herald.Errorf(herald.EINVALID, "currentPassword: is required")
	}
	if err := validatePassword("newPassword", p.New); err != nil {
		return err
	}
	if p.Confirm != p.New {
		return herald.Errorf(herald.EINVALID, "confirmPassword: does not match the new password")
	}
	if len(p.Current) > maxPasswordLen {
		return herald.Errorf(herald.EINVALID, "currentPassword: is wrong")
	}
	// Read the hash afresh: the user in the context may be cached.
	stored, err := a.store.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	ok, err := a.verifyPassword(ctx, "password", stored.Email, stored.PasswordHash, p.Current)
	if err != nil {
		return err
	}
	if !ok {
		return herald.Errorf(herald.EINVALID, "currentPassword: is wrong")
	}
	hash, err := a.hasher.hash(ctx, p.New)
	if err != nil {
		return err
	}
	return a.store.InTx(ctx, func(tx store.Tx) error {
		return a.replacePassword(ctx, tx, u.ID, hash, p.KeepSessionID)
	})
}

// replacePassword stores a new password hash and ends the user's sessions
// but keepSessionID.
func (a *Accounts) replacePassword(ctx context.Context, tx store.Tx, userID, hash, keepSessionID string) error {
	if err := tx.UpdateUserPassword(ctx, userID, hash); err != nil {
		return err
	}
	n, err := tx.DeleteSessionsByUser(ctx, userID, keepSessionID)
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "password changed", "user_id", userID, "sessions_ended", n)
	return nil
}
