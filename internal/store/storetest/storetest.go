// Package storetest is the conformance suite every store.Store
// implementation runs: the same behaviour on SQLite and PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Run runs the suite. open returns a new, migrated, empty store for each
// sub-test.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := map[string]func(t *testing.T, s store.Store){
		"Users":            testUsers,
		"Workspaces":       testWorkspaces,
		"APIKeys":          testAPIKeys,
		"Sessions":         testSessions,
		"SessionsByUser":   testSessionsByUser,
		"SocialProfiles":   testSocialProfiles,
		"BrandKits":        testBrandKits,
		"HashtagLibraries": testHashtagLibraries,
		"StudioTemplates":  testStudioTemplates,
		"Posts":            testPosts,
		"PostListing":      testPostListing,
		"Idempotency":      testIdempotency,
		"OAuthStates":      testOAuthStates,
		"Transactions":     testTransactions,
		"ConcurrentWrites": testConcurrentWrites,
		"Media":            testMedia, "MediaUse": testMediaUse, "MediaBlobs": testMediaBlobs, "MediaDeleteRace": testMediaDeleteRace, // media.go
		"PostMedia": testPostMedia, // postmedia.go
		// guarantees.go
		"ClaimOnce": testClaimOnce, "ClaimAfterVersionBump": testClaimAfterVersionBump, "ClaimWaitsForLockPost": testClaimWaitsForLockPost,
		"LockSocialProfile": testLockSocialProfile, "LeaseRenewal": testLeaseRenewal, "QuotaCount": testQuotaCount,
		"OverdueTargets": testOverdueTargets, "OAuthStateOnce": testOAuthStateOnce, "WorkerHeartbeats": testWorkerHeartbeats,
		"Invitations": testInvitations, "ConcurrentInvitations": testConcurrentInvitations, // invitations.go
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// now is a fixed instant with millisecond precision, the stores' precision.
var now = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := herald.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	user *herald.User
	ws   *herald.Workspace
}

func seed(t *testing.T, s store.Store, email string) fixture {
	t.Helper()
	ctx := context.Background()
	u := &herald.User{ID: herald.NewID(), Name: "Ada", Email: email, PasswordHash: "$argon2id$x", CreatedAt: now}
	must(t, s.CreateUser(ctx, u))
	w := &herald.Workspace{ID: herald.NewID(), Name: "Ada's", CreatedAt: now}
	must(t, s.CreateWorkspace(ctx, w))
	must(t, s.CreateMember(ctx, &herald.Member{WorkspaceID: w.ID, UserID: u.ID, Role: herald.RoleOwner, CreatedAt: now}))
	w.UserCount = 1
	return fixture{u, w}
}

func profile(t *testing.T, s store.Store, ws, provider, ext string) *herald.SocialProfile {
	t.Helper()
	p := &herald.SocialProfile{ID: herald.NewID(), WorkspaceID: ws, Provider: provider, Name: "@" + ext, Image: "https://img/" + ext,
		ExternalID: ext, Credentials: []byte{1, 2, 3}, Status: herald.ProfileConnected, CreatedAt: now, UpdatedAt: now}
	must(t, s.CreateSocialProfile(context.Background(), p))
	return p
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "ada@example.org")
	got, err := s.FindUserByEmail(ctx, "ada@example.org")
	must(t, err)
	if diff := cmp.Diff(f.user, got); diff != "" {
		t.Errorf("FindUserByEmail (-want +got):\n%s", diff)
	}
	got, err = s.FindUserByID(ctx, f.user.ID)
	must(t, err)
	if got.Email != "ada@example.org" {
		t.Errorf("FindUserByID email = %q", got.Email)
	}
	_, err = s.FindUserByID(ctx, "nope")
	wantCode(t, err, herald.ENOTFOUND)
	dup := *f.user
	dup.ID = herald.NewID()
	wantCode(t, s.CreateUser(ctx, &dup), herald.ECONFLICT)
	must(t, s.UpdateUserPassword(ctx, f.user.ID, "new"))
	got, _ = s.FindUserByID(ctx, f.user.ID)
	if got.PasswordHash != "new" {
		t.Errorf("password hash not updated: %q", got.PasswordHash)
	}
	wantCode(t, s.UpdateUserPassword(ctx, "nope", "x"), herald.ENOTFOUND)
	n, err := s.CountUsers(ctx)
	must(t, err)
	if n != 1 {
		t.Errorf("CountUsers = %d, want 1", n)
	}
}

func testWorkspaces(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := seed(t, s, "a@example.org")
	b := seed(t, s, "b@example.org")
	second := &herald.Workspace{ID: herald.NewID(), Name: "Second", CreatedAt: now.Add(time.Second)}
	must(t, s.CreateWorkspace(ctx, second))
	must(t, s.CreateMember(ctx, &herald.Member{WorkspaceID: second.ID, UserID: a.user.ID, Role: herald.RoleOwner, CreatedAt: now}))
	must(t, s.CreateMember(ctx, &herald.Member{WorkspaceID: second.ID, UserID: b.user.ID, Role: herald.RoleViewer, CreatedAt: now.Add(time.Minute)}))
	second.UserCount = 2

	got, err := s.FindWorkspacesByUser(ctx, a.user.ID)
	must(t, err)
	if diff := cmp.Diff([]*herald.Workspace{a.ws, second}, got); diff != "" {
		t.Errorf("FindWorkspacesByUser (-want +got):\n%s", diff)
	}
	got, err = s.FindWorkspacesByUser(ctx, "nobody")
	must(t, err)
	if len(got) != 0 {
		t.Errorf("workspaces of unknown user = %v", got)
	}
	w, err := s.FindWorkspaceByID(ctx, second.ID)
	must(t, err)
	if diff := cmp.Diff(second, w); diff != "" {
		t.Errorf("FindWorkspaceByID (-want +got):\n%s", diff)
	}
	m, err := s.FindMember(ctx, second.ID, b.user.ID)
	must(t, err)
	if m.Role != herald.RoleViewer {
		t.Errorf("role = %q", m.Role)
	}
	_, err = s.FindMember(ctx, a.ws.ID, b.user.ID)
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, s.CreateMember(ctx, &herald.Member{WorkspaceID: second.ID, UserID: b.user.ID, Role: herald.RoleAdmin, CreatedAt: now}), herald.ECONFLICT)
	wantCode(t, s.CreateMember(ctx, &herald.Member{WorkspaceID: "missing", UserID: b.user.ID, Role: herald.RoleAdmin, CreatedAt: now}), herald.ENOTFOUND)

	must(t, s.UpdateMemberRole(ctx, second.ID, b.user.ID, herald.RoleEditor))
	members, err := s.FindMembers(ctx, second.ID)
	must(t, err)
	if len(members) != 2 || members[1].Role != herald.RoleEditor || members[1].User.Email != "b@example.org" {
		t.Errorf("FindMembers = %+v", members)
	}
	must(t, s.DeleteMember(ctx, second.ID, b.user.ID))
	wantCode(t, s.DeleteMember(ctx, second.ID, b.user.ID), herald.ENOTFOUND)
	_, err = s.FindWorkspaceByID(ctx, "nope")
	wantCode(t, err, herald.ENOTFOUND)
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "k@example.org")
	k := &herald.APIKey{ID: herald.NewID(), UserID: f.user.ID, Name: "ci", Prefix: "hk_abc", Hash: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: now}
	must(t, s.CreateAPIKey(ctx, k))
	got, err := s.FindAPIKeyByHash(ctx, k.Hash)
	must(t, err)
	if diff := cmp.Diff(k, got); diff != "" {
		t.Errorf("FindAPIKeyByHash (-want +got):\n%s", diff)
	}
	_, err = s.FindAPIKeyByHash(ctx, []byte("other"))
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, s.CreateAPIKey(ctx, &herald.APIKey{ID: herald.NewID(), UserID: f.user.ID, Name: "dup", Prefix: "x", Hash: k.Hash, CreatedAt: now}), herald.ECONFLICT)

	used := now.Add(time.Hour)
	must(t, s.TouchAPIKey(ctx, k.ID, used))
	must(t, s.RevokeAPIKey(ctx, f.user.ID, k.ID, now.Add(2*time.Hour)))
	must(t, s.RevokeAPIKey(ctx, f.user.ID, k.ID, now.Add(3*time.Hour))) // keeps the first time
	wantCode(t, s.RevokeAPIKey(ctx, "someone-else", k.ID, now), herald.ENOTFOUND)
	keys, err := s.FindAPIKeysByUser(ctx, f.user.ID)
	must(t, err)
	if len(keys) != 1 || keys[0].RevokedAt == nil || !keys[0].RevokedAt.Equal(now.Add(2*time.Hour)) || !keys[0].LastUsedAt.Equal(used) {
		t.Errorf("after revoke: %+v", keys[0])
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "s@example.org")
	live := &herald.Session{ID: herald.NewID(), UserID: f.user.ID, Hash: []byte("live"), CSRFToken: "csrf", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	old := &herald.Session{ID: herald.NewID(), UserID: f.user.ID, Hash: []byte("old"), CSRFToken: "csrf2", CreatedAt: now, ExpiresAt: now.Add(-time.Hour)}
	must(t, s.CreateSession(ctx, live))
	must(t, s.CreateSession(ctx, old))
	got, err := s.FindSessionByHash(ctx, []byte("live"))
	must(t, err)
	if diff := cmp.Diff(live, got); diff != "" {
		t.Errorf("FindSessionByHash (-want +got):\n%s", diff)
	}
	n, err := s.DeleteExpiredSessions(ctx, now)
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, want 1", n)
	}
	must(t, s.DeleteSession(ctx, live.ID))
	_, err = s.FindSessionByHash(ctx, []byte("live"))
	wantCode(t, err, herald.ENOTFOUND)
}

// testSessionsByUser checks that ending a user's sessions (after a password
// change or reset) spares the one kept and every other user's.
func testSessionsByUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	ada, bob := seed(t, s, "ada@example.org"), seed(t, s, "bob@example.org")
	session := func(u *herald.User, hash string) *herald.Session {
		x := &herald.Session{ID: herald.NewID(), UserID: u.ID, Hash: []byte(hash), CSRFToken: "csrf", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		must(t, s.CreateSession(ctx, x))
		return x
	}
	session(ada.user, "ada1")
	session(ada.user, "ada2")
	keep := session(ada.user, "ada3")
	session(bob.user, "bob1")
	n, err := s.DeleteSessionsByUser(ctx, ada.user.ID, keep.ID)
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteSessionsByUser(except one) = %d, want 2", n)
	}
	for hash, want := range map[string]bool{"ada1": false, "ada2": false, "ada3": true, "bob1": true} {
		_, err := s.FindSessionByHash(ctx, []byte(hash))
		if found := err == nil; found != want {
			t.Errorf("session %s found = %v (%v), want %v", hash, found, err, want)
		}
	}
	n, err = s.DeleteSessionsByUser(ctx, ada.user.ID, "")
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteSessionsByUser(all) = %d, want 1", n)
	}
	if _, err := s.FindSessionByHash(ctx, []byte("ada3")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("kept session after ending all: %v", err)
	}
	if _, err := s.FindSessionByHash(ctx, []byte("bob1")); err != nil {
		t.Errorf("another user's session: %v", err)
	}
}

func testSocialProfiles(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "p@example.org")
	p := profile(t, s, f.ws.ID, "mastodon", "109")
	got, err := s.FindSocialProfileByID(ctx, p.ID)
	must(t, err)
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("FindSocialProfileByID (-want +got):\n%s", diff)
	}
	dup := *p
	dup.ID = herald.NewID()
	wantCode(t, s.CreateSocialProfile(ctx, &dup), herald.ECONFLICT)
	p.Status, p.StatusMessage, p.Credentials, p.UpdatedAt = herald.ProfileNeedsReconnect, "token revoked", []byte{9}, now.Add(time.Hour)
	must(t, s.UpdateSocialProfile(ctx, p))
	list, err := s.FindSocialProfiles(ctx, f.ws.ID)
	must(t, err)
	if diff := cmp.Diff([]*herald.SocialProfile{p}, list); diff != "" {
		t.Errorf("FindSocialProfiles (-want +got):\n%s", diff)
	}
	must(t, s.DeleteSocialProfile(ctx, p.ID))
	wantCode(t, s.DeleteSocialProfile(ctx, p.ID), herald.ENOTFOUND)
}

func testBrandKits(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "b@example.org")
	b := &herald.BrandKit{ID: herald.NewID(), WorkspaceID: f.ws.ID, Name: "Acme", Description: "Warm", Colors: []string{"#fff"},
		Fonts: []string{}, LogoURL: "https://x/logo.png", DoWords: []string{"craft"}, DontWords: []string{"cheap"}, CreatedAt: now, UpdatedAt: now}
	must(t, s.CreateBrandKit(ctx, b))
	got, err := s.FindBrandKitByID(ctx, b.ID)
	must(t, err)
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("FindBrandKitByID (-want +got):\n%s", diff)
	}
	b.Name, b.Colors, b.UpdatedAt = "Acme 2", []string{"#000000", "#123456"}, now.Add(time.Minute)
	must(t, s.UpdateBrandKit(ctx, b))
	list, err := s.FindBrandKits(ctx, f.ws.ID)
	must(t, err)
	if diff := cmp.Diff([]*herald.BrandKit{b}, list); diff != "" {
		t.Errorf("FindBrandKits (-want +got):\n%s", diff)
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockBrandKit(ctx, b.ID) }))
	must(t, s.DeleteBrandKit(ctx, b.ID))
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockBrandKit(ctx, b.ID) }), herald.ENOTFOUND)
	_, err = s.FindBrandKitByID(ctx, b.ID)
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, s.UpdateBrandKit(ctx, b), herald.ENOTFOUND)
}

func testHashtagLibraries(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "h@example.org")
	h := &herald.HashtagLibrary{ID: herald.NewID(), WorkspaceID: f.ws.ID, Name: "Launch", Hashtags: []string{"#go", "#日本"}, CreatedAt: now, UpdatedAt: now}
	must(t, s.CreateHashtagLibrary(ctx, h))
	h.Hashtags = append(h.Hashtags, "#more")
	must(t, s.UpdateHashtagLibrary(ctx, h))
	got, err := s.FindHashtagLibraryByID(ctx, h.ID)
	must(t, err)
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("FindHashtagLibraryByID (-want +got):\n%s", diff)
	}
	list, err := s.FindHashtagLibraries(ctx, f.ws.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("FindHashtagLibraries = %d items", len(list))
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockHashtagLibrary(ctx, h.ID) }))
	must(t, s.DeleteHashtagLibrary(ctx, h.ID))
	wantCode(t, s.DeleteHashtagLibrary(ctx, h.ID), herald.ENOTFOUND)
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockHashtagLibrary(ctx, h.ID) }), herald.ENOTFOUND)
}

func testStudioTemplates(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "st@example.org")
	st := &herald.StudioTemplate{ID: herald.NewID(), WorkspaceID: f.ws.ID, Name: "Square", ThumbnailURL: "https://x/t.png", Width: 1080, Height: 1080, CreatedAt: now, UpdatedAt: now}
	must(t, s.CreateStudioTemplate(ctx, st))
	st.Height = 1350
	must(t, s.UpdateStudioTemplate(ctx, st))
	got, err := s.FindStudioTemplateByID(ctx, st.ID)
	must(t, err)
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("FindStudioTemplateByID (-want +got):\n%s", diff)
	}
	list, err := s.FindStudioTemplates(ctx, f.ws.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("FindStudioTemplates = %d items", len(list))
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockStudioTemplate(ctx, st.ID) }))
	must(t, s.DeleteStudioTemplate(ctx, st.ID))
	wantCode(t, s.DeleteStudioTemplate(ctx, st.ID), herald.ENOTFOUND)
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockStudioTemplate(ctx, st.ID) }), herald.ENOTFOUND)
}

func newPost(f fixture, at time.Time, status herald.PostStatus, profiles ...*herald.SocialProfile) *herald.Post {
	p := &herald.Post{ID: herald.NewID(), WorkspaceID: f.ws.ID, CreatedBy: f.user.ID, PostType: herald.PostTypeRegular, Status: status,
		Caption: "Hello 👋 world", Media: []herald.PostMedia{{SourceURL: "https://src/x.png"}},
		Options:   herald.PostOptions{"mastodon": {"visibility": "unlisted", "spoilerText": "CW ⚠"}},
		CreatedAt: at, UpdatedAt: at, Targets: []*herald.PostTarget{}}
	if status == herald.StatusScheduled {
		s := at.Add(time.Hour)
		p.ScheduledAt = &s
	}
	for _, pr := range profiles {
		p.Targets = append(p.Targets, &herald.PostTarget{ID: herald.NewID(), PostID: p.ID, SocialProfileID: pr.ID, Provider: pr.Provider,
			State: herald.TargetScheduled, UpdatedAt: at, Profile: &herald.SocialProfile{ID: pr.ID, Provider: pr.Provider, Name: pr.Name, Image: pr.Image, Status: pr.Status}})
	}
	return p
}

var sortTargets = cmpopts.SortSlices(func(a, b *herald.PostTarget) bool { return a.ID < b.ID })

func testPosts(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "posts@example.org")
	p1 := profile(t, s, f.ws.ID, "mastodon", "1")
	p2 := profile(t, s, f.ws.ID, "bluesky", "did:plc:2")
	p := newPost(f, now, herald.StatusScheduled, p1, p2)
	must(t, s.CreatePost(ctx, p))
	got, err := s.FindPostByID(ctx, p.ID)
	must(t, err)
	if diff := cmp.Diff(p, got, sortTargets); diff != "" {
		t.Errorf("FindPostByID (-want +got):\n%s", diff)
	}

	// A target's publication is recorded.
	tg := p.Targets[0]
	pub := now.Add(2 * time.Hour)
	tg.State, tg.Attempts, tg.RemoteID, tg.RemoteURL, tg.PublishedAt, tg.UpdatedAt = herald.TargetPublished, 1, "r1", "https://m/r1", &pub, pub
	must(t, s.UpdatePostTarget(ctx, tg))
	p.Caption, p.Status, p.ScheduledAt, p.Version, p.UpdatedAt = "changed", herald.StatusDraft, nil, 3, now.Add(time.Minute)
	media := p.Media
	p.Media = nil // UpdatePost leaves the media as they are: SetPostMedia changes them
	must(t, s.UpdatePost(ctx, p))
	got, err = s.FindPostByID(ctx, p.ID)
	must(t, err)
	p.Media = media
	if diff := cmp.Diff(p, got, sortTargets); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}

	// Targets can be removed and added.
	must(t, s.DeletePostTarget(ctx, p.Targets[1].ID))
	wantCode(t, s.DeletePostTarget(ctx, p.Targets[1].ID), herald.ENOTFOUND)
	wantCode(t, s.CreatePostTarget(ctx, &herald.PostTarget{ID: herald.NewID(), PostID: p.ID, SocialProfileID: p1.ID, Provider: "mastodon", State: herald.TargetDraft, UpdatedAt: now}), herald.ECONFLICT)
	wantCode(t, s.CreatePostTarget(ctx, &herald.PostTarget{ID: herald.NewID(), PostID: p.ID, SocialProfileID: "missing", Provider: "mastodon", State: herald.TargetDraft, UpdatedAt: now}), herald.ENOTFOUND)
	got, _ = s.FindPostByID(ctx, p.ID)
	if len(got.Targets) != 1 {
		t.Errorf("targets after delete = %d, want 1", len(got.Targets))
	}

	must(t, s.DeletePost(ctx, p.ID))
	_, err = s.FindPostByID(ctx, p.ID)
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, s.DeletePost(ctx, p.ID), herald.ENOTFOUND)
	wantCode(t, s.UpdatePost(ctx, p), herald.ENOTFOUND)
}

func testPostListing(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "list@example.org")
	other := seed(t, s, "other@example.org")
	pr := profile(t, s, f.ws.ID, "discord", "w1")
	statuses := []herald.PostStatus{herald.StatusDraft, herald.StatusScheduled, herald.StatusPosted, herald.StatusError}
	var all []*herald.Post // newest first
	for i := range 20 {
		p := newPost(f, now.Add(time.Duration(i)*time.Second), statuses[i%len(statuses)], pr)
		must(t, s.CreatePost(ctx, p))
		all = append([]*herald.Post{p}, all...)
	}
	must(t, s.CreatePost(ctx, newPost(other, now, herald.StatusDraft)))

	ids := func(ps []*herald.Post) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	filter := func(sts ...herald.PostStatus) []*herald.Post {
		var out []*herald.Post
		for _, p := range all {
			for _, st := range sts {
				if p.Status == st {
					out = append(out, p)
				}
			}
		}
		return out
	}
	page := func(ps []*herald.Post, off, lim int) []*herald.Post {
		if off > len(ps) {
			return nil
		}
		return ps[off:min(off+lim, len(ps))]
	}
	tests := []struct {
		name        string
		statuses    []herald.PostStatus
		offset, lim int
		want        []*herald.Post
	}{
		{"first page", nil, 0, 7, page(all, 0, 7)},
		{"second page", nil, 7, 7, page(all, 7, 7)},
		{"past the end", nil, 40, 7, nil},
		{"one status", []herald.PostStatus{herald.StatusScheduled}, 0, 50, filter(herald.StatusScheduled)},
		{"two statuses", []herald.PostStatus{herald.StatusDraft, herald.StatusPosted}, 0, 50, filter(herald.StatusDraft, herald.StatusPosted)},
		{"two statuses paged", []herald.PostStatus{herald.StatusDraft, herald.StatusPosted}, 3, 4, page(filter(herald.StatusDraft, herald.StatusPosted), 3, 4)},
		{"no match", []herald.PostStatus{herald.StatusNeedsAttention}, 0, 50, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.FindPosts(ctx, herald.PostFilter{WorkspaceID: f.ws.ID, Statuses: tc.statuses, Offset: tc.offset, Limit: tc.lim})
			must(t, err)
			if diff := cmp.Diff(ids(tc.want), ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			for _, p := range got {
				if len(p.Targets) != 1 || p.Targets[0].Profile.Name != pr.Name {
					t.Errorf("post %s targets = %+v", p.ID, p.Targets)
				}
			}
		})
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "idem@example.org")
	r := &store.IdempotencyRecord{UserID: f.user.ID, Key: "k1", APIKeyID: "key-1", RequestHash: []byte("h1"), CreatedAt: now}
	got, err := s.ClaimIdempotencyKey(ctx, r)
	must(t, err)
	if got != r {
		t.Errorf("claim returned another record")
	}
	ex, err := s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: f.user.ID, Key: "k1", RequestHash: []byte("h2"), CreatedAt: now})
	wantCode(t, err, herald.ECONFLICT)
	if ex == nil || string(ex.RequestHash) != "h1" || ex.Status != 0 || ex.APIKeyID != "key-1" || ex.SecretRef != "" || ex.Body != nil {
		t.Fatalf("existing = %+v", ex)
	}
	done := now.Add(time.Second)
	r.Status, r.Body, r.SecretRef, r.CompletedAt = 201, []byte{0, 1, 2, 0xff}, "api_key:x", &done
	must(t, s.CompleteIdempotencyKey(ctx, r))
	ex, err = s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: f.user.ID, Key: "k1", APIKeyID: "key-2", RequestHash: []byte("h1"), CreatedAt: now})
	wantCode(t, err, herald.ECONFLICT)
	want := &store.IdempotencyRecord{UserID: f.user.ID, Key: "k1", APIKeyID: "key-1", RequestHash: []byte("h1"), Status: 201, Body: []byte{0, 1, 2, 0xff}, SecretRef: "api_key:x", CreatedAt: now, CompletedAt: &done}
	if diff := cmp.Diff(want, ex); diff != "" {
		t.Errorf("completed (-want +got):\n%s", diff)
	}
	// Another user's key of the same name is independent.
	g := seed(t, s, "idem2@example.org")
	_, err = s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: g.user.ID, Key: "k1", RequestHash: []byte("h"), CreatedAt: now.Add(48 * time.Hour)})
	must(t, err)
	n, err := s.DeleteIdempotencyKeysBefore(ctx, now.Add(24*time.Hour))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteIdempotencyKeysBefore = %d, want 1", n)
	}
	must(t, s.DeleteIdempotencyKey(ctx, g.user.ID, "k1"))
	_, err = s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: g.user.ID, Key: "k1", RequestHash: []byte("h"), CreatedAt: now})
	must(t, err)
}

func testOAuthStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "oauth@example.org")
	state := func(hash string, expires time.Time) *store.OAuthState {
		return &store.OAuthState{StateHash: []byte(hash), SessionID: "sess", UserID: f.user.ID, WorkspaceID: f.ws.ID,
			Provider: "mastodon", Server: "https://social.example", Verifier: []byte("sealed"), ExpiresAt: expires}
	}
	live, old, edge := state("live", now.Add(time.Minute)), state("old", now.Add(-time.Minute)), state("edge", now)
	for _, st := range []*store.OAuthState{live, old, edge} {
		must(t, s.CreateOAuthState(ctx, st))
	}
	n, err := s.DeleteExpiredOAuthStates(ctx, now)
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteExpiredOAuthStates = %d, want 2", n)
	}
	_, err = s.TakeOAuthState(ctx, []byte("old"))
	wantCode(t, err, herald.ENOTFOUND)
	got, err := s.TakeOAuthState(ctx, []byte("live"))
	must(t, err)
	if diff := cmp.Diff(live, got); diff != "" {
		t.Errorf("TakeOAuthState (-want +got):\n%s", diff)
	}
	_, err = s.TakeOAuthState(ctx, []byte("live"))
	wantCode(t, err, herald.ENOTFOUND)
}

func testTransactions(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "tx@example.org")
	boom := errors.New("boom")
	w := &herald.Workspace{ID: herald.NewID(), Name: "rolled back", CreatedAt: now}
	err := s.InTx(ctx, func(tx store.Tx) error {
		must(t, tx.CreateWorkspace(ctx, w))
		if _, err := tx.FindWorkspaceByID(ctx, w.ID); err != nil {
			t.Errorf("read inside tx: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v", err)
	}
	_, err = s.FindWorkspaceByID(ctx, w.ID)
	wantCode(t, err, herald.ENOTFOUND)

	must(t, s.InTx(ctx, func(tx store.Tx) error {
		must(t, tx.CreateWorkspace(ctx, w))
		return tx.CreateMember(ctx, &herald.Member{WorkspaceID: w.ID, UserID: f.user.ID, Role: herald.RoleAdmin, CreatedAt: now})
	}))
	if _, err := s.FindMember(ctx, w.ID, f.user.ID); err != nil {
		t.Errorf("committed member: %v", err)
	}
}

func testConcurrentWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "conc@example.org")
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(tx store.Tx) error {
				return tx.CreateBrandKit(ctx, &herald.BrandKit{ID: herald.NewID(), WorkspaceID: f.ws.ID, Name: fmt.Sprint("kit ", i), CreatedAt: now, UpdatedAt: now})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	list, err := s.FindBrandKits(ctx, f.ws.ID)
	must(t, err)
	if len(list) != n {
		t.Errorf("brand kits = %d, want %d", len(list), n)
	}
}
