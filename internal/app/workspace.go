package app

import (
	"context"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Me returns the current user.
func (a *Accounts) Me(ctx context.Context) (*herald.User, error) {
	return currentUser(ctx)
}

// ListWorkspaces lists the current user's workspaces.
func (a *Workspaces) ListWorkspaces(ctx context.Context) ([]*herald.Workspace, error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := a.store.FindWorkspacesByUser(ctx, u.ID)
	if ws == nil && err == nil {
		ws = []*herald.Workspace{}
	}
	return ws, err
}

// CreateWorkspace creates a workspace owned by the current user.
func (a *Workspaces) CreateWorkspace(ctx context.Context, name string) (*herald.Workspace, error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := herald.ValidateName("name", name, 200); err != nil {
		return nil, err
	}
	now := a.Now()
	w := &herald.Workspace{ID: herald.NewID(), Name: name, CreatedAt: now, UserCount: 1}
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkspace(ctx, w); err != nil {
			return err
		}
		return tx.CreateMember(ctx, &herald.Member{WorkspaceID: w.ID, UserID: u.ID, Role: herald.RoleOwner, CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// ListMembers lists a workspace's members.
func (a *Workspaces) ListMembers(ctx context.Context, workspaceID string) ([]*herald.Member, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return a.store.FindMembers(ctx, workspaceID)
}

// userCreated reports that a user was created concurrently.
type userCreated struct{ error }

func (e *userCreated) Unwrap() error { return e.error }
