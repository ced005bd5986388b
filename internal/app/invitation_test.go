package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// mailbox is a Mailer that records what it sends, or fails.
type mailbox struct {
	mu   sync.Mutex
	sent []mail
	fail error
}

type mail struct{ to, subject, body string }

func (m *mailbox) SendMail(_ context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, mail{to, subject, body})
	return nil
}

type fixture struct {
	app   *app.App
	clock *clock
	owner context.Context // signed in as the workspace's owner
	ws    string
}

// inviteSetup returns an App on a fresh SQLite database with an owner and their
// workspace, sending e-mail through mailer if one is given.
func inviteSetup(t *testing.T, mailer ...app.Mailer) *fixture {
	t.Helper()
	s := sqlitetest.Open(t)
	c := &clock{}
	c.ns.Store(time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "https://herald.test"}, Now: c.now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, mailer...)
	f := &fixture{app: a, clock: c}
	var owner *herald.User
	owner, f.ws = f.user(t, "owner@example.org")
	f.owner = herald.NewContextWithUser(context.Background(), owner)
	return f
}

// user creates a user with a workspace of their own (herald init).
func (f *fixture) user(t *testing.T, email string) (*herald.User, string) {
	t.Helper()
	res, err := f.app.Init(context.Background(), app.InitParams{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := f.app.AuthenticateAPIKey(context.Background(), res.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	return u, res.WorkspaceID
}

// as returns a context signed in as u.
func as(u *herald.User) context.Context { return herald.NewContextWithUser(context.Background(), u) }

// token returns the token of an accept link.
func token(t *testing.T, acceptURL string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(acceptURL, "https://herald.test/invitations/")
	if !ok || len(tok) < 40 {
		t.Fatalf("acceptUrl = %q, want https://herald.test/invitations/{token}", acceptURL)
	}
	return tok
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if herald.ErrorCode(err) != code || !strings.Contains(herald.ErrorMessage(err), msg) {
		t.Fatalf("error = %v, want %s containing %q", err, code, msg)
	}
}

func memberRoles(t *testing.T, f *fixture) map[string]herald.Role {
	t.Helper()
	ms, err := f.app.ListMembers(f.owner, f.ws)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]herald.Role{}
	for _, m := range ms {
		out[m.User.Email] = m.Role
	}
	return out
}

// TestInviteAnswersTheSameForKnownAndUnknownEmails is the regression test
// of invitations that handed out accounts: inviting creates no user, adds
// nobody, and tells nothing about whether the e-mail has an account.
func TestInviteAnswersTheSameForKnownAndUnknownEmails(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	known, _ := f.user(t, "known@example.org")

	k, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: " Known@Example.org ", Role: herald.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "Unknown@example.org", Role: herald.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	// Same shape: only the id, e-mail, token and link differ.
	ignore := cmpopts.IgnoreFields(herald.Invitation{}, "ID", "Email", "TokenHash")
	if diff := cmp.Diff(k.Invitation, u.Invitation, ignore); diff != "" {
		t.Errorf("invitations differ beyond id, e-mail and token (-known +unknown):\n%s", diff)
	}
	if k.Invitation.Email != "known@example.org" || u.Invitation.Email != "unknown@example.org" {
		t.Errorf("e-mails = %q, %q, want them normalised", k.Invitation.Email, u.Invitation.Email)
	}
	token(t, k.AcceptURL)
	token(t, u.AcceptURL)
	if !k.Invitation.ExpiresAt.Equal(f.clock.now().Add(app.InvitationTTL)) {
		t.Errorf("expiresAt = %v, want now + %v", k.Invitation.ExpiresAt, app.InvitationTTL)
	}
	// Nobody was added, nobody was created.
	if diff := cmp.Diff(map[string]herald.Role{"owner@example.org": herald.RoleOwner}, memberRoles(t, f)); diff != "" {
		t.Errorf("members after inviting (-want +got):\n%s", diff)
	}
	ws, err := f.app.ListWorkspaces(as(known))
	if err != nil || len(ws) != 1 {
		t.Errorf("known user's workspaces = %+v, %v, want only their own", ws, err)
	}
	if _, _, err := f.app.SignIn(context.Background(), "unknown@example.org", "anything at all"); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("sign-in as the unknown invitee = %v, want no such account", err)
	}
	list, err := f.app.ListInvitations(f.owner, f.ws)
	if err != nil || len(list) != 2 {
		t.Errorf("ListInvitations = %+v, %v, want both", list, err)
	}
}

func TestInviteRules(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	admin, _ := f.user(t, "admin@example.org")
	viewer, _ := f.user(t, "viewer@example.org")
	for email, role := range map[string]herald.Role{"admin@example.org": herald.RoleAdmin, "viewer@example.org": herald.RoleViewer} {
		inv, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: email, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		u := admin
		if role == herald.RoleViewer {
			u = viewer
		}
		if _, err := f.app.AcceptInvitation(as(u), token(t, inv.AcceptURL)); err != nil {
			t.Fatal(err)
		}
	}
	stranger, strangerWS := f.user(t, "stranger@example.org")

	tests := []struct {
		name      string
		ctx       context.Context
		ws, email string
		role      herald.Role
		code, msg string
	}{
		{"viewer cannot invite", as(viewer), f.ws, "x@example.org", "", herald.EFORBIDDEN, "viewer"},
		{"admin cannot invite an owner", as(admin), f.ws, "x@example.org", herald.RoleOwner, herald.EFORBIDDEN, "owner"},
		{"stranger's workspace does not exist", f.owner, strangerWS, "x@example.org", "", herald.ENOTFOUND, "not found"},
		{"not a member", as(stranger), f.ws, "x@example.org", "", herald.ENOTFOUND, "not found"},
		{"already a member", f.owner, f.ws, "Viewer@example.org", herald.RoleAdmin, herald.ECONFLICT, "already a member"},
		{"bad e-mail", f.owner, f.ws, "not an e-mail", "", herald.EINVALID, "email"},
		{"bad role", f.owner, f.ws, "x@example.org", "boss", herald.EINVALID, "role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.app.InviteMember(tt.ctx, tt.ws, app.InviteParams{Email: tt.email, Role: tt.role})
			wantCode(t, err, tt.code, tt.msg)
		})
	}
	// An admin invites editors; the default role is editor.
	inv, err := f.app.InviteMember(as(admin), f.ws, app.InviteParams{Email: "ed@example.org"})
	if err != nil || inv.Invitation.Role != herald.RoleEditor {
		t.Fatalf("admin's invitation = %+v, %v, want an editor", inv, err)
	}
	// Viewers do not see invitations; revoking is for managers too.
	_, err = f.app.ListInvitations(as(viewer), f.ws)
	wantCode(t, err, herald.EFORBIDDEN, "viewer")
	wantCode(t, f.app.RevokeInvitation(as(viewer), f.ws, inv.Invitation.ID), herald.EFORBIDDEN, "viewer")
	wantCode(t, f.app.RevokeInvitation(as(stranger), strangerWS, inv.Invitation.ID), herald.ENOTFOUND, "Invitation")
}

func TestReinvitingReplacesThePendingInvitation(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	first, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "ivy@example.org", Role: herald.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "ivy@example.org", Role: herald.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if first.AcceptURL == second.AcceptURL {
		t.Fatal("re-inviting kept the token")
	}
	list, _ := f.app.ListInvitations(f.owner, f.ws)
	if len(list) != 1 || list[0].ID != second.Invitation.ID || list[0].Role != herald.RoleAdmin {
		t.Errorf("ListInvitations = %+v, want only the second invitation", list)
	}
	_, err = f.app.FindInvitation(context.Background(), token(t, first.AcceptURL))
	wantCode(t, err, herald.ENOTFOUND, "not valid")

	// Revoking: the link stops working.
	if err := f.app.RevokeInvitation(f.owner, f.ws, second.Invitation.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.app.AcceptInvitationWithNewAccount(context.Background(), token(t, second.AcceptURL), app.NewAccountParams{Name: "Ivy", Password: "a long enough password"})
	wantCode(t, err, herald.ENOTFOUND, "not valid")
	wantCode(t, f.app.RevokeInvitation(f.owner, f.ws, second.Invitation.ID), herald.ENOTFOUND, "Invitation")
}

func TestAcceptInvitationWithNewAccount(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	inv, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "ivy@example.org", Role: herald.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, inv.AcceptURL)
	info, err := f.app.FindInvitation(context.Background(), tok)
	if err != nil || info.AccountExists || info.Workspace.ID != f.ws || info.Invitation.Email != "ivy@example.org" {
		t.Fatalf("FindInvitation = %+v, %v", info, err)
	}
	ctx := context.Background()
	for _, tt := range []struct{ name, password, field string }{
		{"", "a long enough password", "name"},
		{"Ivy", "short", "password"},
		{"Ivy", "elevenchars", "password"},
	} {
		_, _, err := f.app.AcceptInvitationWithNewAccount(ctx, tok, app.NewAccountParams{Name: tt.name, Password: tt.password})
		wantCode(t, err, herald.EINVALID, tt.field)
	}
	s, sessionToken, err := f.app.AcceptInvitationWithNewAccount(ctx, tok, app.NewAccountParams{Name: "Ivy Invitee", Password: "twelve chars"})
	if err != nil {
		t.Fatal(err)
	}
	// Signed in as the new account, which has the chosen name and password.
	_, u, err := f.app.AuthenticateSession(ctx, sessionToken)
	if err != nil || u.ID != s.UserID || u.Name != "Ivy Invitee" || u.Email != "ivy@example.org" {
		t.Fatalf("session user = %+v, %v", u, err)
	}
	if _, _, err := f.app.SignIn(ctx, "ivy@example.org", "twelve chars"); err != nil {
		t.Errorf("sign-in with the chosen password: %v", err)
	}
	if diff := cmp.Diff(map[string]herald.Role{"owner@example.org": herald.RoleOwner, "ivy@example.org": herald.RoleViewer}, memberRoles(t, f)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	// The link works once.
	_, _, err = f.app.AcceptInvitationWithNewAccount(ctx, tok, app.NewAccountParams{Name: "Mallory", Password: "another long password"})
	wantCode(t, err, herald.ENOTFOUND, "already been used")
	_, err = f.app.AcceptInvitation(as(u), tok)
	wantCode(t, err, herald.ENOTFOUND, "already been used")
	if list, _ := f.app.ListInvitations(f.owner, f.ws); len(list) != 0 {
		t.Errorf("pending invitations after accepting = %+v", list)
	}
}

func TestAcceptInvitationAsExistingAccount(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	known, _ := f.user(t, "known@example.org")
	other, _ := f.user(t, "other@example.org")
	inv, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "KNOWN@example.org", Role: herald.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, inv.AcceptURL)
	if info, err := f.app.FindInvitation(context.Background(), tok); err != nil || !info.AccountExists {
		t.Fatalf("FindInvitation = %+v, %v, want an existing account", info, err)
	}
	// Nobody can take over the account by choosing a password.
	_, _, err = f.app.AcceptInvitationWithNewAccount(context.Background(), tok, app.NewAccountParams{Name: "Mallory", Password: "a long enough password"})
	wantCode(t, err, herald.ECONFLICT, "sign in")
	// Signed in as someone else: refused, and the invitation still stands.
	_, err = f.app.AcceptInvitation(as(other), tok)
	wantCode(t, err, herald.EFORBIDDEN, "signed in as other@example.org")
	_, err = f.app.AcceptInvitation(context.Background(), tok)
	wantCode(t, err, herald.EUNAUTHORIZED, "")

	ws, err := f.app.AcceptInvitation(as(known), tok)
	if err != nil || ws.ID != f.ws {
		t.Fatalf("AcceptInvitation = %+v, %v", ws, err)
	}
	if got := memberRoles(t, f); got["known@example.org"] != herald.RoleAdmin || len(got) != 2 {
		t.Errorf("members = %v, want known as admin", got)
	}
	_, err = f.app.AcceptInvitation(as(known), tok)
	wantCode(t, err, herald.ENOTFOUND, "already been used")
}

func TestInvitationExpires(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	known, _ := f.user(t, "known@example.org")
	a, _ := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "ivy@example.org"})
	b, _ := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "known@example.org"})
	f.clock.advance(app.InvitationTTL)
	_, err := f.app.FindInvitation(context.Background(), token(t, a.AcceptURL))
	wantCode(t, err, herald.ENOTFOUND, "expired")
	_, _, err = f.app.AcceptInvitationWithNewAccount(context.Background(), token(t, a.AcceptURL), app.NewAccountParams{Name: "Ivy", Password: "a long enough password"})
	wantCode(t, err, herald.ENOTFOUND, "expired")
	_, err = f.app.AcceptInvitation(as(known), token(t, b.AcceptURL))
	wantCode(t, err, herald.ENOTFOUND, "expired")
	_, err = f.app.FindInvitation(context.Background(), "no-such-token")
	wantCode(t, err, herald.ENOTFOUND, "not valid")
}

// TestConcurrentAcceptsTakeTheTokenOnce accepts one link many times at
// once: one account, one membership.
func TestConcurrentAcceptsTakeTheTokenOnce(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	inv, _ := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "ivy@example.org"})
	tok := token(t, inv.AcceptURL)
	var wg sync.WaitGroup
	var won atomic.Int32
	for range 4 {
		wg.Go(func() {
			_, _, err := f.app.AcceptInvitationWithNewAccount(context.Background(), tok, app.NewAccountParams{Name: "Ivy", Password: "a long enough password"})
			switch herald.ErrorCode(err) {
			case "":
				won.Add(1)
			case herald.ENOTFOUND, herald.ECONFLICT:
			default:
				t.Errorf("accept: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Errorf("%d accepts succeeded, want 1", won.Load())
	}
	if got := memberRoles(t, f); len(got) != 2 {
		t.Errorf("members = %v", got)
	}
}

func TestInvitationIsMailedWhenAMailerIsSet(t *testing.T) {
	t.Parallel()
	box := &mailbox{}
	f := inviteSetup(t, box)
	inv, err := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "Ivy@example.org", Role: herald.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	if inv.AcceptURL != "" {
		t.Errorf("acceptUrl = %q although the link was mailed", inv.AcceptURL)
	}
	if len(box.sent) != 1 || box.sent[0].to != "ivy@example.org" {
		t.Fatalf("sent = %+v, want one mail to ivy@example.org", box.sent)
	}
	i := strings.Index(box.sent[0].body, "https://herald.test/invitations/")
	if i < 0 {
		t.Fatalf("mail body has no link: %s", box.sent[0].body)
	}
	link := strings.Fields(box.sent[0].body[i:])[0]
	if _, err := f.app.FindInvitation(context.Background(), token(t, link)); err != nil {
		t.Errorf("mailed link: %v", err)
	}
	// A mail that cannot be sent leaves the inviter the link to pass on.
	box.fail = errors.New("connection refused")
	inv, err = f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "zed@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.FindInvitation(context.Background(), token(t, inv.AcceptURL)); err != nil {
		t.Errorf("link after a failed mail: %v", err)
	}
}

func TestPurgeInvitations(t *testing.T) {
	t.Parallel()
	f := inviteSetup(t)
	known, _ := f.user(t, "known@example.org")
	accepted, _ := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "known@example.org"})
	if _, err := f.app.AcceptInvitation(as(known), token(t, accepted.AcceptURL)); err != nil {
		t.Fatal(err)
	}
	expiring, _ := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "ivy@example.org"})
	f.clock.advance(app.InvitationTTL - time.Hour)
	fresh, _ := f.app.InviteMember(f.owner, f.ws, app.InviteParams{Email: "zed@example.org"})

	// Within the retention, nothing goes: the links still explain themselves.
	if n, err := f.app.PurgeInvitations(context.Background()); err != nil || n != 0 {
		t.Errorf("PurgeInvitations = %d, %v, want 0", n, err)
	}
	f.clock.advance(30*24*time.Hour + 2*time.Hour)
	if n, err := f.app.PurgeInvitations(context.Background()); err != nil || n != 2 {
		t.Errorf("PurgeInvitations = %d, %v, want the accepted and the expired one", n, err)
	}
	_, err := f.app.FindInvitation(context.Background(), token(t, expiring.AcceptURL))
	wantCode(t, err, herald.ENOTFOUND, "not valid")
	_, err = f.app.FindInvitation(context.Background(), token(t, fresh.AcceptURL))
	wantCode(t, err, herald.ENOTFOUND, "expired") // kept: expired less than 30 days ago
}
