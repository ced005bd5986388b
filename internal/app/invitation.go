package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// InvitationTTL is how long an invitation's accept link works.
const InvitationTTL = 7 * 24 * time.Hour

// invitationRetention is how long accepted and expired invitations are
// kept, so that their link still says "used" or "expired" rather than "not
// valid", before PurgeInvitations deletes them.
const invitationRetention = 30 * 24 * time.Hour

// minPasswordLength is the shortest password a person may choose.
const minPasswordLength = 12

// maxPasswordLength bounds what is hashed.
const maxPasswordLength = 1024

// Mailer sends a plain-text e-mail. With one set (Deps.Mailer), Herald
// e-mails invitation links instead of handing them to the inviter.
type Mailer interface {
	SendMail(ctx context.Context, to, subject, body string) error
}

// InviteParams are the inputs of InviteMember.
type InviteParams struct {
	Email string
	Role  herald.Role
}

// SentInvitation is the result of InviteMember.
type SentInvitation struct {
	Invitation *herald.Invitation
	// AcceptURL is the one-time accept link, for the inviter to pass on.
	// It is empty when the link was e-mailed to the invitee instead.
	AcceptURL string
}

// InviteMember invites an e-mail address to a workspace with a role. It
// creates no user and adds nobody: the invitee accepts through the link,
// setting their own password or signing in to the account they have. The
// answer is the same whether Herald knows the e-mail or not. Inviting an
// e-mail again replaces its pending invitation (the old link stops
// working). Only owners and admins invite; only an owner can invite an
// owner.
func (a *Workspaces) InviteMember(ctx context.Context, workspaceID string, p InviteParams) (*SentInvitation, error) {
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
	token := randomString(43)
	now := a.Now()
	inv := &herald.Invitation{ID: herald.NewID(), WorkspaceID: workspaceID, Email: p.Email, Role: role,
		TokenHash: sha(token), CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}
	var ws *herald.Workspace
	var inviter *herald.User
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		me, err := a.manager(ctx, tx, workspaceID, "invite members")
		if err != nil {
			return err
		}
		if role == herald.RoleOwner && me.Role != herald.RoleOwner {
			return herald.Errorf(herald.EFORBIDDEN, "Only an owner can make another owner.")
		}
		inviter = herald.UserFromContext(ctx)
		inv.InvitedBy = inviter.ID
		// A member is already in the listing the inviter can read, so
		// saying so reveals nothing.
		if u, err := tx.FindUserByEmail(ctx, p.Email); err == nil {
			if _, err := tx.FindMember(ctx, workspaceID, u.ID); err == nil {
				return herald.Errorf(herald.ECONFLICT, "%s is already a member of this workspace.", p.Email)
			} else if herald.ErrorCode(err) != herald.ENOTFOUND {
				return err
			}
		} else if herald.ErrorCode(err) != herald.ENOTFOUND {
			return err
		}
		if ws, err = tx.FindWorkspaceByID(ctx, workspaceID); err != nil {
			return err
		}
		return tx.SaveInvitation(ctx, inv)
	})
	if err != nil {
		return nil, err
	}
	link := a.cfg.PublicURL + "/invitations/" + token
	if a.mailer == nil {
		noteIdempotentSecret(ctx, secretInvitation, workspaceID+"/"+inv.ID)
		return &SentInvitation{Invitation: inv, AcceptURL: link}, nil
	}
	subject := fmt.Sprintf("%s invited you to %s on Herald", inviter.Name, ws.Name)
	body := fmt.Sprintf("%s (%s) invited you to join the workspace %q on Herald as %s.\r\n\r\n"+
		"To accept, open this link (it works once, until %s):\r\n\r\n%s\r\n\r\n"+
		"If you did not expect this invitation, ignore this e-mail.\r\n",
		inviter.Name, inviter.Email, ws.Name, role, inv.ExpiresAt.Format("2 January 2006 15:04 MST"), link)
	if err := a.mailer.SendMail(ctx, p.Email, subject, body); err != nil {
		// The invitation stands; the inviter gets the link to pass on.
		a.log.WarnContext(ctx, "send invitation e-mail", "invitation_id", inv.ID, "error", err)
		noteIdempotentSecret(ctx, secretInvitation, workspaceID+"/"+inv.ID)
		return &SentInvitation{Invitation: inv, AcceptURL: link}, nil
	}
	return &SentInvitation{Invitation: inv}, nil
}

// ListInvitations lists a workspace's pending invitations (for its owners
// and admins).
func (a *Workspaces) ListInvitations(ctx context.Context, workspaceID string) ([]*herald.Invitation, error) {
	if _, err := a.manager(ctx, a.store, workspaceID, "see invitations"); err != nil {
		return nil, err
	}
	invs, err := a.store.FindInvitations(ctx, workspaceID)
	if invs == nil && err == nil {
		invs = []*herald.Invitation{}
	}
	return invs, err
}

// RevokeInvitation revokes a pending invitation: its link stops working.
func (a *Workspaces) RevokeInvitation(ctx context.Context, workspaceID, id string) error {
	if _, err := a.manager(ctx, a.store, workspaceID, "revoke invitations"); err != nil {
		return err
	}
	if !herald.ValidID(id) {
		return herald.Errorf(herald.ENOTFOUND, "Invitation %q not found.", id)
	}
	err := a.store.DeleteInvitation(ctx, workspaceID, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return herald.Errorf(herald.ENOTFOUND, "Invitation %q not found.", id)
	}
	return err
}

// InvitationInfo is what the accept page shows of an invitation.
type InvitationInfo struct {
	Invitation *herald.Invitation
	Workspace  *herald.Workspace
	// AccountExists reports whether Herald has an account for the
	// invitation's e-mail: its owner signs in to accept.
	AccountExists bool
}

// FindInvitation returns the pending invitation of an accept link's token.
// A token that is unknown, used, expired, revoked or replaced is not found,
// with a message that says which, as far as Herald knows.
func (a *Workspaces) FindInvitation(ctx context.Context, token string) (*InvitationInfo, error) {
	inv, err := a.pendingInvitation(ctx, token)
	if err != nil {
		return nil, err
	}
	ws, err := a.store.FindWorkspaceByID(ctx, inv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	info := &InvitationInfo{Invitation: inv, Workspace: ws}
	_, err = a.store.FindUserByEmail(ctx, inv.Email)
	switch herald.ErrorCode(err) {
	case "":
		info.AccountExists = true
	case herald.ENOTFOUND:
	default:
		return nil, err
	}
	return info, nil
}

// pendingInvitation finds a token's invitation and explains why it cannot
// be accepted.
func (a *Workspaces) pendingInvitation(ctx context.Context, token string) (*herald.Invitation, error) {
	if token == "" || len(token) > 200 {
		return nil, errInvitationInvalid
	}
	inv, err := a.store.FindInvitationByTokenHash(ctx, sha(token))
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		return nil, errInvitationInvalid
	case err != nil:
		return nil, err
	case inv.AcceptedAt != nil:
		return nil, herald.Errorf(herald.ENOTFOUND, "This invitation has already been used. Sign in to reach the workspace, or ask for a new invitation.")
	case !a.Now().Before(inv.ExpiresAt):
		return nil, herald.Errorf(herald.ENOTFOUND, "This invitation has expired. Ask the person who invited you for a new one.")
	}
	return inv, nil
}

var errInvitationInvalid = herald.Errorf(herald.ENOTFOUND,
	"This invitation link is not valid: it may have been revoked or replaced by a newer invitation, or mistyped. Ask the person who invited you for a new one.")

// takeInvitation takes a token's invitation in tx, or explains why not.
func (a *Workspaces) takeInvitation(ctx context.Context, tx store.Tx, token string) (*herald.Invitation, error) {
	inv, err := tx.TakeInvitation(ctx, sha(token), a.Now())
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		if _, err := a.pendingInvitation(ctx, token); err != nil {
			return nil, err
		}
		return nil, errInvitationInvalid // taken a moment ago
	}
	return inv, err
}

// AcceptInvitation makes the signed-in user a member of the workspace of
// an invitation to their e-mail address, and uses the invitation up. A
// person who is already a member keeps their role.
func (a *Workspaces) AcceptInvitation(ctx context.Context, token string) (*herald.Workspace, error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if len(token) > 200 {
		return nil, errInvitationInvalid
	}
	var ws *herald.Workspace
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		inv, err := a.takeInvitation(ctx, tx, token)
		if err != nil {
			return err
		}
		if herald.NormalizeEmail(u.Email) != inv.Email {
			// Rolled back: the invitation stays for its addressee.
			return herald.Errorf(herald.EFORBIDDEN, "This invitation is for %s, but you are signed in as %s. Sign out, then open the link again and sign in as %s.", inv.Email, u.Email, inv.Email)
		}
		_, err = tx.FindMember(ctx, inv.WorkspaceID, u.ID)
		switch herald.ErrorCode(err) {
		case "":
		case herald.ENOTFOUND:
			if err := tx.CreateMember(ctx, &herald.Member{WorkspaceID: inv.WorkspaceID, UserID: u.ID, Role: inv.Role, CreatedAt: a.Now()}); err != nil {
				return err
			}
		default:
			return err
		}
		ws, err = tx.FindWorkspaceByID(ctx, inv.WorkspaceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// NewAccountParams are what an invitee without an account chooses.
type NewAccountParams struct {
	Name     string
	Password string
}

// AcceptInvitationWithNewAccount creates the account of an invitation's
// e-mail with the name and password its owner chose, makes it a member of
// the workspace, uses the invitation up, and opens a web session (returned
// with its token, to be set as a cookie). An e-mail that has an account
// already must sign in and accept instead.
func (a *Workspaces) AcceptInvitationWithNewAccount(ctx context.Context, token string, p NewAccountParams) (*herald.Session, string, error) {
	p.Name = strings.TrimSpace(p.Name)
	if err := herald.ValidateName("name", p.Name, 200); err != nil {
		return nil, "", err
	}
	if n := len([]rune(p.Password)); n < minPasswordLength {
		return nil, "", herald.Errorf(herald.EINVALID, "password: must be at least %d characters", minPasswordLength)
	} else if len(p.Password) > maxPasswordLength {
		return nil, "", herald.Errorf(herald.EINVALID, "password: must be at most %d bytes", maxPasswordLength)
	}
	// Check first, so that a bad link costs no hashing.
	info, err := a.FindInvitation(ctx, token)
	if err != nil {
		return nil, "", err
	}
	exists := herald.Errorf(herald.ECONFLICT, "An account for %s exists already: sign in as %s to accept the invitation.", info.Invitation.Email, info.Invitation.Email)
	if info.AccountExists {
		return nil, "", exists
	}
	// Hashing is slow and memory-hungry: never inside the write transaction.
	hash, err := a.hasher.hash(ctx, p.Password)
	if err != nil {
		return nil, "", err
	}
	sessionToken := randomString(43)
	var s *herald.Session
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		inv, err := a.takeInvitation(ctx, tx, token)
		if err != nil {
			return err
		}
		now := a.Now()
		u := &herald.User{ID: herald.NewID(), Name: p.Name, Email: inv.Email, PasswordHash: hash, CreatedAt: now}
		if err := tx.CreateUser(ctx, u); herald.ErrorCode(err) == herald.ECONFLICT {
			return exists // created a moment ago
		} else if err != nil {
			return err
		}
		if err := tx.CreateMember(ctx, &herald.Member{WorkspaceID: inv.WorkspaceID, UserID: u.ID, Role: inv.Role, CreatedAt: now}); err != nil {
			return err
		}
		s = &herald.Session{ID: herald.NewID(), UserID: u.ID, Hash: sha(sessionToken), CSRFToken: randomString(32), CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL)}
		return tx.CreateSession(ctx, s)
	})
	if err != nil {
		return nil, "", err
	}
	return s, sessionToken, nil
}

// PurgeInvitations deletes invitations accepted, or expired, more than
// invitationRetention ago, and returns how many. The housekeeping job
// calls it.
func (a *Services) PurgeInvitations(ctx context.Context) (int, error) {
	return a.store.DeleteInvitationsBefore(ctx, a.Now().Add(-invitationRetention))
}
