package app

import (
	"context"
	"errors"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Me returns the current user.
func (a *App) Me(ctx context.Context) (*herald.User, error) {
	return currentUser(ctx)
}

// ListWorkspaces lists the current user's workspaces.
func (a *App) ListWorkspaces(ctx context.Context) ([]*herald.Workspace, error) {
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
func (a *App) CreateWorkspace(ctx context.Context, name string) (*herald.Workspace, error) {
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
func (a *App) ListMembers(ctx context.Context, workspaceID string) ([]*herald.Member, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return a.store.FindMembers(ctx, workspaceID)
}

// InviteParams are the inputs of InviteMember.
type InviteParams struct {
	Email string
	Name  string
	Role  herald.Role
}

// Invitation is the result of InviteMember. Password is set only when the
// invitation created the user: it is their first web password, shown once.
type Invitation struct {
	Member   *herald.Member
	Password string
}

// InviteMember adds a person to a workspace with a role. Someone Herald does
// not know yet gets an account with a generated password, returned once,
// because a self-hosted Herald may have no way to send e-mail. Only owners
// and admins invite; only an owner can make another owner.
func (a *App) InviteMember(ctx context.Context, workspaceID string, p InviteParams) (*Invitation, error) {
	p.Email = herald.NormalizeEmail(p.Email)
	if err := herald.ValidateEmail("email", p.Email); err != nil {
		return nil, err
	}
	if p.Role == "" {
		p.Role = herald.RoleEditor
	}
	role, err := herald.ParseRole("role", string(p.Role))
	if err != nil {
		return nil, err
	}
	p.Role = role
	if p.Name != "" {
		if err := herald.ValidateName("name", p.Name, 200); err != nil {
			return nil, err
		}
	}
	// The password of a user the invitation may create is hashed before the
	// transaction: hashing is slow and waits its turn (password.go).
	password := newPassword()
	hash, err := a.hasher.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var inv *Invitation
	invite := func(tx store.Tx) error {
		me, err := a.manager(ctx, tx, workspaceID, "invite members")
		if err != nil {
			return err
		}
		if p.Role == herald.RoleOwner && me.Role != herald.RoleOwner {
			return herald.Errorf(herald.EFORBIDDEN, "Only an owner can make another owner.")
		}
		now := a.Now()
		inv = &Invitation{}
		u, err := tx.FindUserByEmail(ctx, p.Email)
		switch {
		case herald.ErrorCode(err) == herald.ENOTFOUND:
			name := p.Name
			if name == "" {
				name = p.Email
			}
			inv.Password = password
			u = &herald.User{ID: herald.NewID(), Name: name, Email: p.Email, PasswordHash: hash, CreatedAt: now}
			if err := tx.CreateUser(ctx, u); herald.ErrorCode(err) == herald.ECONFLICT {
				return &userCreated{err}
			} else if err != nil {
				return err
			}
		case err != nil:
			return err
		}
		m := &herald.Member{WorkspaceID: workspaceID, UserID: u.ID, Role: p.Role, CreatedAt: now, User: u}
		if err := tx.CreateMember(ctx, m); herald.ErrorCode(err) == herald.ECONFLICT {
			return herald.Errorf(herald.ECONFLICT, "%s is already a member of this workspace.", p.Email)
		} else if err != nil {
			return err
		}
		inv.Member = m
		return nil
	}
	err = a.store.InTx(ctx, invite)
	if errors.As(err, new(*userCreated)) {
		// The same person was invited elsewhere at the same moment and now
		// exists: invite them as a known user.
		err = a.store.InTx(ctx, invite)
	}
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// userCreated reports that a user was created concurrently.
type userCreated struct{ error }

func (e *userCreated) Unwrap() error { return e.error }
