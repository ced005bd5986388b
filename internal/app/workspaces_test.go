package app_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/store"
)

// TestWorkspaceRules: whoever creates a workspace owns it and is its only
// member; a name is required; a workspace the caller is not a member of
// does not exist for them.
func TestWorkspaceRules(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, app.NeverPublish)
		_, err := e.app.CreateWorkspace(e.ctx, "")
		mustCode(t, "no name", err, herald.EINVALID, "name")
		w, err := e.app.CreateWorkspace(e.ctx, "Agency")
		if err != nil {
			t.Fatal(err)
		}
		members, err := e.app.ListMembers(e.ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 1 || members[0].Role != herald.RoleOwner || members[0].UserID != herald.UserFromContext(e.ctx).ID {
			t.Errorf("members of a new workspace = %+v, want its creator as owner", members)
		}
		ws, err := e.app.ListWorkspaces(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 2 {
			t.Errorf("ListWorkspaces = %d workspaces, want 2", len(ws))
		}
		other := e.stranger(t)
		_, err = e.app.ListMembers(other, w.ID)
		mustCode(t, "stranger", err, herald.ENOTFOUND, "not found")
		_, err = e.app.ListMembers(e.ctx, "not an id!")
		mustCode(t, "bad id", err, herald.ENOTFOUND, "not found")
		_, err = e.app.ListMembers(e.ctx, "")
		mustCode(t, "no id", err, herald.EINVALID, "workspaceId: is required")
	})
}

// TestOnlyManagersInvite: editors and viewers cannot invite; an admin
// cannot make an owner.
func TestOnlyManagersInvite(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, app.NeverPublish)
		editor := e.joined(t, "editor@example.org", herald.RoleEditor)
		_, err := e.app.InviteMember(editor, e.ws, app.InviteParams{Email: "x@example.org", Role: herald.RoleViewer})
		mustCode(t, "editor invites", err, herald.EFORBIDDEN, "(editor) cannot")
		admin := e.joined(t, "admin@example.org", herald.RoleAdmin)
		_, err = e.app.InviteMember(admin, e.ws, app.InviteParams{Email: "x@example.org", Role: herald.RoleOwner})
		mustCode(t, "admin makes an owner", err, herald.EFORBIDDEN, "owner")
		if _, err := e.app.InviteMember(admin, e.ws, app.InviteParams{Email: "x@example.org", Role: herald.RoleEditor}); err != nil {
			t.Errorf("admin invites an editor: %v", err)
		}
	})
}
