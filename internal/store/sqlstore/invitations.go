package sqlstore

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

const invitationCols = `id, workspace_id, email, role, invited_by, token_hash, created_at, expires_at, accepted_at`

func scanInvitation(row Row) (*herald.Invitation, error) {
	var inv herald.Invitation
	var role string
	var created, expires int64
	var accepted *int64
	if err := row.Scan(&inv.ID, &inv.WorkspaceID, &inv.Email, &role, &inv.InvitedBy, &inv.TokenHash, &created, &expires, &accepted); err != nil {
		return nil, notFound("Invitation", err)
	}
	inv.Role, inv.CreatedAt, inv.ExpiresAt, inv.AcceptedAt = herald.Role(role), fromMS(created), fromMS(expires), fromMSPtr(accepted)
	return &inv, nil
}

// SaveInvitation implements store.Querier. One statement, so that two
// invitations of the same e-mail at the same moment leave one pending
// invitation rather than a unique violation.
func (q *Queries) SaveInvitation(ctx context.Context, inv *herald.Invitation) error {
	_, err := q.exec(ctx, `INSERT INTO invitations (`+invitationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
		ON CONFLICT (workspace_id, email) WHERE accepted_at IS NULL DO UPDATE SET
		id = excluded.id, role = excluded.role, invited_by = excluded.invited_by, token_hash = excluded.token_hash,
		created_at = excluded.created_at, expires_at = excluded.expires_at`,
		inv.ID, inv.WorkspaceID, inv.Email, string(inv.Role), inv.InvitedBy, inv.TokenHash, ms(inv.CreatedAt), ms(inv.ExpiresAt))
	return err
}

// FindInvitationByTokenHash implements store.Querier.
func (q *Queries) FindInvitationByTokenHash(ctx context.Context, hash []byte) (*herald.Invitation, error) {
	return scanInvitation(q.queryRow(ctx, `SELECT `+invitationCols+` FROM invitations WHERE token_hash = ?`, hash))
}

// FindInvitations implements store.Querier.
func (q *Queries) FindInvitations(ctx context.Context, workspaceID string) ([]*herald.Invitation, error) {
	return collect(q, ctx, scanInvitation, `SELECT `+invitationCols+` FROM invitations
		WHERE workspace_id = ? AND accepted_at IS NULL ORDER BY created_at, id`, workspaceID)
}

// TakeInvitation implements store.Querier: the update is the check, so two
// acceptances of one token cannot both succeed.
func (q *Queries) TakeInvitation(ctx context.Context, hash []byte, now time.Time) (*herald.Invitation, error) {
	return scanInvitation(q.w.QueryRow(ctx, q.sql(`UPDATE invitations SET accepted_at = ?
		WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ? RETURNING `+invitationCols), ms(now), hash, ms(now)))
}

// DeleteInvitation implements store.Querier.
func (q *Queries) DeleteInvitation(ctx context.Context, workspaceID, id string) error {
	return q.execOne(ctx, "Invitation", `DELETE FROM invitations WHERE id = ? AND workspace_id = ? AND accepted_at IS NULL`, id, workspaceID)
}

// DeleteInvitationsBefore implements store.Querier.
func (q *Queries) DeleteInvitationsBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM invitations WHERE accepted_at < ? OR (accepted_at IS NULL AND expires_at < ?)`, ms(before), ms(before))
	return int(n), err
}
