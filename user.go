package herald

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// User is a person who signs in to the web app and owns API keys.
type User struct {
	ID           string
	Name         string
	Email        string
	PasswordHash string // PHC-formatted argon2id hash; never leaves the server
	CreatedAt    time.Time
}

// NormalizeEmail lower-cases and trims an e-mail address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateEmail checks that s is a plain e-mail address.
func ValidateEmail(field, s string) error {
	if s == "" {
		return Errorf(EINVALID, "%s: is required", field)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return Errorf(EINVALID, "%s: %q is not a valid e-mail address", field, s)
	}
	return nil
}

// ValidateName checks a display name: required, at most max characters.
func ValidateName(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, "%s: is required", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, "%s: must be at most %d characters (got %d)", field, max, n)
	}
	return nil
}

// Workspace is a team's space: its members, social profiles, posts, brand
// kits, hashtag libraries and templates.
type Workspace struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// UserCount is filled by listings.
	UserCount int
}

// Role is a member's role in a workspace.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

// ParseRole returns the role named s.
func ParseRole(field, s string) (Role, error) {
	switch r := Role(strings.ToLower(s)); r {
	case RoleOwner, RoleAdmin, RoleEditor, RoleViewer:
		return r, nil
	}
	return "", Errorf(EINVALID, "%s: must be one of owner, admin, editor, viewer (got %q)", field, s)
}

// CanWrite reports whether the role may create and change posts and assets.
func (r Role) CanWrite() bool { return r == RoleOwner || r == RoleAdmin || r == RoleEditor }

// CanManage reports whether the role may manage members and connections.
func (r Role) CanManage() bool { return r == RoleOwner || r == RoleAdmin }

// Member is a user's membership of a workspace.
type Member struct {
	WorkspaceID string
	UserID      string
	Role        Role
	CreatedAt   time.Time
	// User is filled by listings.
	User *User
}

// APIKey authenticates API calls as its user. Only the SHA-256 of the
// secret is stored; the secret is shown once at creation.
type APIKey struct {
	ID         string
	UserID     string
	Name       string
	Prefix     string // the first characters of the key, to recognise it
	Hash       []byte // SHA-256 of the whole key
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Session is a signed-in web session. Only the hash of its token is stored.
type Session struct {
	ID        string
	UserID    string
	Hash      []byte
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Invitation is a pending offer to join a workspace with a role, sent to an
// e-mail address. Only the SHA-256 of its one-time token is stored; the
// token is in the accept link. Nobody becomes a member until the invitee
// accepts, as the account of that e-mail.
type Invitation struct {
	ID          string
	WorkspaceID string
	Email       string // normalised
	Role        Role
	InvitedBy   string // the inviting user's id
	TokenHash   []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	AcceptedAt  *time.Time
}
