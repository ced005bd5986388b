package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

func invitation(f fixture, email string, role herald.Role, token string) *herald.Invitation {
	return &herald.Invitation{ID: herald.NewID(), WorkspaceID: f.ws.ID, Email: email, Role: role, InvitedBy: f.user.ID,
		TokenHash: []byte(token), CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}
}

func testInvitations(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "owner@example.org")
	other := seed(t, s, "other@example.org")

	first := invitation(f, "ivy@example.org", herald.RoleViewer, "token-1")
	must(t, s.SaveInvitation(ctx, first))
	got, err := s.FindInvitationByTokenHash(ctx, []byte("token-1"))
	must(t, err)
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("FindInvitationByTokenHash (-want +got):\n%s", diff)
	}
	_, err = s.FindInvitationByTokenHash(ctx, []byte("nope"))
	wantCode(t, err, herald.ENOTFOUND)

	// Inviting the same e-mail again replaces the pending invitation: the
	// old token no longer finds it.
	second := invitation(f, "ivy@example.org", herald.RoleAdmin, "token-2")
	second.CreatedAt = now.Add(time.Minute)
	must(t, s.SaveInvitation(ctx, second))
	_, err = s.FindInvitationByTokenHash(ctx, []byte("token-1"))
	wantCode(t, err, herald.ENOTFOUND)
	// The same e-mail in another workspace is another invitation.
	elsewhere := invitation(other, "ivy@example.org", herald.RoleEditor, "token-3")
	must(t, s.SaveInvitation(ctx, elsewhere))
	list, err := s.FindInvitations(ctx, f.ws.ID)
	must(t, err)
	if diff := cmp.Diff([]*herald.Invitation{second}, list); diff != "" {
		t.Errorf("FindInvitations after re-inviting (-want +got):\n%s", diff)
	}

	// A token is taken once; the taken invitation is no longer pending.
	at := now.Add(time.Hour)
	taken, err := s.TakeInvitation(ctx, []byte("token-2"), at)
	must(t, err)
	if taken.ID != second.ID || taken.AcceptedAt == nil || !taken.AcceptedAt.Equal(at) || taken.Role != herald.RoleAdmin {
		t.Errorf("TakeInvitation = %+v, want %s accepted at %v", taken, second.ID, at)
	}
	_, err = s.TakeInvitation(ctx, []byte("token-2"), at)
	wantCode(t, err, herald.ENOTFOUND)
	if list, _ := s.FindInvitations(ctx, f.ws.ID); len(list) != 0 {
		t.Errorf("FindInvitations after accepting = %+v, want none", list)
	}
	// After acceptance the e-mail can be invited again (to a workspace it
	// left, say): the accepted row does not block a new pending one.
	must(t, s.SaveInvitation(ctx, invitation(f, "ivy@example.org", herald.RoleEditor, "token-4")))

	// An expired token is not taken.
	_, err = s.TakeInvitation(ctx, []byte("token-3"), elsewhere.ExpiresAt)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = s.TakeInvitation(ctx, []byte("nope"), at)
	wantCode(t, err, herald.ENOTFOUND)

	// Revoking: only the workspace's own pending invitation.
	wantCode(t, s.DeleteInvitation(ctx, f.ws.ID, elsewhere.ID), herald.ENOTFOUND)
	wantCode(t, s.DeleteInvitation(ctx, f.ws.ID, second.ID), herald.ENOTFOUND) // accepted
	must(t, s.DeleteInvitation(ctx, other.ws.ID, elsewhere.ID))
	wantCode(t, s.DeleteInvitation(ctx, other.ws.ID, elsewhere.ID), herald.ENOTFOUND)

	// Purging deletes accepted and expired invitations older than the
	// cut-off, and keeps pending ones.
	old := invitation(other, "old@example.org", herald.RoleViewer, "token-5")
	old.ExpiresAt = now.Add(time.Hour)
	must(t, s.SaveInvitation(ctx, old))
	n, err := s.DeleteInvitationsBefore(ctx, now.Add(2*time.Hour))
	must(t, err)
	if n != 2 { // second (accepted at +1h) and old (expired at +1h)
		t.Errorf("DeleteInvitationsBefore = %d, want 2", n)
	}
	if _, err := s.FindInvitationByTokenHash(ctx, []byte("token-4")); err != nil {
		t.Errorf("pending invitation purged: %v", err)
	}
	_, err = s.FindInvitationByTokenHash(ctx, []byte("token-2"))
	wantCode(t, err, herald.ENOTFOUND)

	// An invitation needs its workspace.
	bad := invitation(f, "x@example.org", herald.RoleViewer, "token-6")
	bad.WorkspaceID = "missing"
	wantCode(t, s.SaveInvitation(ctx, bad), herald.ENOTFOUND)
}

// testConcurrentInvitations checks that a token taken at the same moment by
// several transactions is taken once.
func testConcurrentInvitations(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "owner@example.org")
	must(t, s.SaveInvitation(ctx, invitation(f, "ivy@example.org", herald.RoleViewer, "token")))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won, lost int
	for range 8 {
		wg.Go(func() {
			err := s.InTx(ctx, func(tx store.Tx) error {
				_, err := tx.TakeInvitation(ctx, []byte("token"), now)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			switch herald.ErrorCode(err) {
			case "":
				won++
			case herald.ENOTFOUND:
				lost++
			default:
				t.Errorf("TakeInvitation: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 || lost != 7 {
		t.Errorf("concurrent takes: %d won, %d lost; want 1 and 7", won, lost)
	}
	// Concurrent invitations of one e-mail leave one pending invitation.
	for i := range 8 {
		wg.Go(func() {
			if err := s.SaveInvitation(ctx, invitation(f, "zed@example.org", herald.RoleViewer, "z"+string(rune('a'+i)))); err != nil {
				t.Errorf("SaveInvitation: %v", err)
			}
		})
	}
	wg.Wait()
	list, err := s.FindInvitations(ctx, f.ws.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("pending invitations after concurrent re-invites = %d, want 1", len(list))
	}
}
