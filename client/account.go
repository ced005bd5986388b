package client

import (
	"context"
	"net/http"
	"time"
)

// User is the API key's user (GET /me).
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Workspace is a workspace the user belongs to.
type Workspace struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	UserCount int    `json:"userCount"`
}

// Member is a user's membership of a workspace.
type Member struct {
	UserID    string    `json:"userId"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
}

// Roles a member can have. A viewer cannot create or change content.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// InvitationInput is the body of an invitation to a workspace.
type InvitationInput struct {
	Email string `json:"email"`
	// Role defaults to editor.
	Role string `json:"role,omitempty"`
}

// Invitation is a pending invitation to a workspace. Nobody is a member
// until the invitee accepts through the link.
type Invitation struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// AcceptURL is the one-time accept link to pass on to the invitee; only
	// in Invite's answer, and only when Herald did not e-mail it.
	AcceptURL string `json:"acceptUrl,omitempty"`
}

// APIKey is one of the user's API keys. Key, the secret, is only in the
// answer that creates it.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	Key        string     `json:"key,omitempty"`
}

// Me returns the API key's user (GET /me).
func (c *Client) Me(ctx context.Context, opts ...Option) (*User, error) {
	var u User
	if err := c.Do(ctx, http.MethodGet, "/me", nil, nil, &u, opts...); err != nil {
		return nil, err
	}
	return &u, nil
}

// Workspaces lists the user's workspaces (GET /workspaces).
func (c *Client) Workspaces(ctx context.Context, opts ...Option) ([]Workspace, error) {
	var ws []Workspace
	if err := c.Do(ctx, http.MethodGet, "/workspaces", nil, nil, &ws, opts...); err != nil {
		return nil, err
	}
	return ws, nil
}

// CreateWorkspace creates a workspace the user owns (POST /workspaces,
// a Herald extension).
func (c *Client) CreateWorkspace(ctx context.Context, name string, opts ...Option) (*Workspace, error) {
	var w Workspace
	in := struct {
		Name string `json:"name"`
	}{name}
	if err := c.Do(ctx, http.MethodPost, "/workspaces", nil, in, &w, opts...); err != nil {
		return nil, err
	}
	return &w, nil
}

// Members lists a workspace's members (GET /workspaces/{id}/members, a
// Herald extension).
func (c *Client) Members(ctx context.Context, workspaceID string, opts ...Option) ([]Member, error) {
	var ms []Member
	if err := c.Do(ctx, http.MethodGet, "/workspaces/"+seg(workspaceID)+"/members", nil, nil, &ms, opts...); err != nil {
		return nil, err
	}
	return ms, nil
}

// Invite invites an e-mail address to a workspace with a role (POST
// /workspaces/{id}/members, a Herald extension). No user is created and
// nobody is added until the invitee accepts through the link, which Herald
// e-mails when SMTP is configured and otherwise returns as AcceptURL.
func (c *Client) Invite(ctx context.Context, workspaceID string, in InvitationInput, opts ...Option) (*Invitation, error) {
	var inv Invitation
	if err := c.Do(ctx, http.MethodPost, "/workspaces/"+seg(workspaceID)+"/members", nil, in, &inv, opts...); err != nil {
		return nil, err
	}
	return &inv, nil
}

// Invitations lists a workspace's pending invitations, without their links
// (GET /workspaces/{id}/invitations, a Herald extension).
func (c *Client) Invitations(ctx context.Context, workspaceID string, opts ...Option) ([]Invitation, error) {
	var invs []Invitation
	if err := c.Do(ctx, http.MethodGet, "/workspaces/"+seg(workspaceID)+"/invitations", nil, nil, &invs, opts...); err != nil {
		return nil, err
	}
	return invs, nil
}

// RevokeInvitation revokes a pending invitation (DELETE
// /workspaces/{id}/invitations/{invitationId}, a Herald extension).
func (c *Client) RevokeInvitation(ctx context.Context, workspaceID, invitationID string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, "/workspaces/"+seg(workspaceID)+"/invitations/"+seg(invitationID), nil, nil, &struct{}{}, opts...)
}

// APIKeys lists the user's API keys, without their secrets (GET /api-keys,
// a Herald extension).
func (c *Client) APIKeys(ctx context.Context, opts ...Option) ([]APIKey, error) {
	var ks []APIKey
	if err := c.Do(ctx, http.MethodGet, "/api-keys", nil, nil, &ks, opts...); err != nil {
		return nil, err
	}
	return ks, nil
}

// CreateAPIKey creates an API key for the user (POST /api-keys, a Herald
// extension); the answer's Key is the secret, shown this once.
func (c *Client) CreateAPIKey(ctx context.Context, name string, opts ...Option) (*APIKey, error) {
	var k APIKey
	in := struct {
		Name string `json:"name,omitempty"`
	}{name}
	if err := c.Do(ctx, http.MethodPost, "/api-keys", nil, in, &k, opts...); err != nil {
		return nil, err
	}
	return &k, nil
}

// RevokeAPIKey revokes one of the user's API keys (DELETE /api-keys/{id},
// a Herald extension). Requests with it are then answered 403.
func (c *Client) RevokeAPIKey(ctx context.Context, id string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, "/api-keys/"+seg(id), nil, nil, &struct{}{}, opts...)
}

// OpenAPI returns the API's OpenAPI 3.1 document (GET /openapi.json), as
// the server sent it.
func (c *Client) OpenAPI(ctx context.Context, opts ...Option) ([]byte, error) {
	var b []byte
	if err := c.Do(ctx, http.MethodGet, "/openapi.json", nil, nil, &b, opts...); err != nil {
		return nil, err
	}
	return b, nil
}
