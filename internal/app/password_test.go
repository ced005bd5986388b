package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// txWatch is a store that knows when a transaction is running.
type txWatch struct {
	store.Store
	inTx atomic.Int32
}

func (s *txWatch) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	s.inTx.Add(1)
	defer s.inTx.Add(-1)
	return s.Store.InTx(ctx, fn)
}

type passwordFixture struct {
	app   *App
	store *txWatch
	clock *testClock
	init  *InitResult
	// hashes counts derivations; inTxHashes those run inside a
	// transaction.
	hashes, inTxHashes atomic.Int32
}

// setup returns an app on a fresh SQLite database with one user, whose
// password hashing is fast (a SHA-256 stand-in for argon2id) and counted.
func setup(t *testing.T, hashes int) *passwordFixture {
	t.Helper()
	s := sqlitetest.Open(t)
	c := &testClock{now: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)}
	f := &passwordFixture{store: &txWatch{Store: s}, clock: c}
	svc, err := NewServices(ServicesConfig{Store: f.store, Config: Config{PasswordHashes: hashes}, Now: c.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.app = New(Deps{Services: svc, Scheduler: NeverPublish})
	f.app.Accounts.hasher.derive = func(password, salt []byte, _, _ uint32, _ uint8, n uint32) []byte {
		f.hashes.Add(1)
		if f.store.inTx.Load() > 0 {
			f.inTxHashes.Add(1)
		}
		sum := sha256.Sum256(append(append([]byte{}, salt...), password...))
		return sum[:n]
	}
	if f.init, err = f.app.Init(context.Background(), InitParams{Email: "ada@example.org", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// from returns a context of a request from a client address.
func from(addr string) context.Context {
	return herald.NewContextWithClientAddr(context.Background(), addr)
}

// TestPasswordHashingIsBounded runs many sign-ins at once and checks that
// no more than the configured number of hashes ever run together.
func TestPasswordHashingIsBounded(t *testing.T) {
	t.Parallel()
	const limit, attempts = 3, 24
	f := setup(t, limit)
	var running, peak atomic.Int32
	fast := f.app.Accounts.hasher.derive
	f.app.Accounts.hasher.derive = func(password, salt []byte, tm, m uint32, p uint8, n uint32) []byte {
		now := running.Add(1)
		for {
			old := peak.Load()
			if now <= old || peak.CompareAndSwap(old, now) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		defer running.Add(-1)
		return fast(password, salt, tm, m, p, n)
	}
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Go(func() {
			ctx := from(fmt.Sprintf("192.0.2.%d", i))
			if i%2 == 0 {
				if _, _, err := f.app.SignIn(ctx, f.init.Email, f.init.Password); err != nil {
					t.Errorf("sign-in %d: %v", i, err)
				}
				return
			}
			// Unknown e-mails are checked (against a dummy hash) too.
			_, _, err := f.app.SignIn(ctx, fmt.Sprintf("nobody%d@example.org", i), "wrong password")
			if herald.ErrorCode(err) != herald.EUNAUTHORIZED {
				t.Errorf("sign-in %d: %v, want unauthorized", i, err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("at most %d hashes ran at once, want between 2 and %d", p, limit)
	}
	if n := f.hashes.Load(); n != attempts+1 { // +1: Init
		t.Errorf("%d hashes for %d sign-ins and one init", n, attempts)
	}
}

// TestPasswordWaitEndsWithTheRequest checks that a sign-in waiting for a
// turn gives up when its request ends, without hashing.
func TestPasswordWaitEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	f := setup(t, 1)
	release, err := f.app.Accounts.hasher.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	before := f.hashes.Load()
	ctx, cancel := context.WithTimeout(from("192.0.2.1"), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = f.app.SignIn(ctx, f.init.Email, f.init.Password)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("sign-in while busy = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if f.hashes.Load() != before {
		t.Errorf("hashed without a turn")
	}
}

// TestSignInThrottle walks the throttle with a fake clock: free failures,
// then locks that double, answered with ERATELIMITED and RetryAfter without
// hashing; a success or an hour without failures forgets them.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		email func(f *passwordFixture, i int) string
		addr  func(i int) string
	}{
		{"one account, one address", func(f *passwordFixture, _ int) string { return f.init.Email }, func(int) string { return "192.0.2.1" }},
		{"one account, many addresses", func(f *passwordFixture, _ int) string { return f.init.Email }, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }},
		{"unknown e-mail, many addresses", func(*passwordFixture, int) string { return "nobody@example.org" }, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }},
		{"one address, many accounts", func(_ *passwordFixture, i int) string { return fmt.Sprintf("user%d@example.org", i) }, func(int) string { return "192.0.2.1" }},
		{"one IPv6 /64, many addresses", func(_ *passwordFixture, i int) string { return fmt.Sprintf("user%d@example.org", i) }, func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, 2)
			i := 0
			attempt := func(password string) error {
				t.Helper()
				i++
				_, _, err := f.app.SignIn(from(tc.addr(i)), tc.email(f, i), password)
				return err
			}
			for n := range throttleFree + 1 {
				if err := attempt("wrong password"); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
					t.Fatalf("failure %d: %v, want unauthorized", n+1, err)
				}
			}
			// Each further failure locks twice as long as the last.
			for _, lock := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
				hashes := f.hashes.Load()
				err := attempt("wrong password")
				if herald.ErrorCode(err) != herald.ERATELIMITED || RetryAfter(err) != lock {
					t.Fatalf("attempt while locked: %v, retry after %v; want rate limited, %v", err, RetryAfter(err), lock)
				}
				if want := fmt.Sprintf("Too many sign-in attempts; try again in %d second", lock/time.Second); herald.ErrorMessage(err)[:len(want)] != want {
					t.Errorf("message = %q", herald.ErrorMessage(err))
				}
				if f.hashes.Load() != hashes {
					t.Errorf("a refused attempt hashed")
				}
				f.clock.Add(lock / 2)
				if err := attempt("wrong password"); RetryAfter(err) != max(time.Second, lock/2) { // whole seconds, rounded up
					t.Errorf("half-way: retry after %v, want %v", RetryAfter(err), lock/2)
				}
				f.clock.Add(lock / 2)
				if err := attempt("wrong password"); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
					t.Fatalf("after the lock: %v, want unauthorized", err)
				}
			}
			// An hour without failures forgets them: failures are free again.
			f.clock.Add(throttleWindow)
			for n := range throttleFree {
				if err := attempt("wrong password"); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
					t.Fatalf("after the window, failure %d: %v", n+1, err)
				}
			}
		})
	}
}

// TestSignInSuccessResetsThrottle checks that signing in forgets the
// failures, and that a locked account refuses even the right password.
func TestSignInSuccessResetsThrottle(t *testing.T) {
	t.Parallel()
	f := setup(t, 2)
	ctx := from("192.0.2.1")
	for range throttleFree + 1 {
		f.app.SignIn(ctx, f.init.Email, "wrong password")
	}
	if _, _, err := f.app.SignIn(ctx, f.init.Email, f.init.Password); herald.ErrorCode(err) != herald.ERATELIMITED {
		t.Fatalf("right password while locked: %v, want rate limited", err)
	}
	f.clock.Add(time.Second)
	if _, _, err := f.app.SignIn(ctx, f.init.Email, f.init.Password); err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	for n := range throttleFree {
		if _, _, err := f.app.SignIn(ctx, f.init.Email, "wrong password"); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
			t.Fatalf("after a success, failure %d: %v", n+1, err)
		}
	}
}

// TestThrottleIsBounded fills the throttle past its size: it stays bounded,
// and the keys with most failures stay locked.
func TestThrottleIsBounded(t *testing.T) {
	t.Parallel()
	th := newThrottle(100)
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	for range throttleFree + 3 {
		th.fail(now, "addr:attacker")
	}
	for i := range 1000 {
		th.fail(now, fmt.Sprintf("addr:%d", i))
	}
	if n := len(th.entries); n > 100 {
		t.Errorf("%d entries, want at most 100", n)
	}
	if th.wait(now, "addr:attacker") == 0 {
		t.Errorf("the locked key was evicted")
	}
	// Expired entries make room first.
	for i := range 1000 {
		th.fail(now.Add(throttleWindow), fmt.Sprintf("later:%d", i))
	}
	if n := len(th.entries); n > 100 {
		t.Errorf("%d entries, want at most 100", n)
	}
}

// TestHashingOutsideTransactions checks that every use case that hashes a
// password does it before its transaction, never holding one open (SQLite
// has one writer).
func TestHashingOutsideTransactions(t *testing.T) {
	t.Parallel()
	f := setup(t, 2)
	ctx := herald.NewContextWithUser(from("192.0.2.1"), &herald.User{ID: f.init.UserID, Email: f.init.Email})
	if _, err := f.app.Init(ctx, InitParams{Email: "bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.InviteMember(ctx, f.init.WorkspaceID, InviteParams{Email: "carol@example.org"}); err != nil {
		t.Fatal(err)
	}
	if err := f.app.SetPassword(ctx, "bob@example.org", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.ResetPassword(ctx, "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := f.app.ChangePassword(ctx, ChangePasswordParams{Current: f.init.Password, New: "another long password", Confirm: "another long password"}); err != nil {
		t.Fatal(err)
	}
	if f.hashes.Load() < 6 {
		t.Errorf("%d hashes, want at least 6", f.hashes.Load())
	}
	if n := f.inTxHashes.Load(); n != 0 {
		t.Errorf("%d hashes ran inside a transaction", n)
	}
}

// signIn opens a session or fails the test.
func (f *passwordFixture) signIn(t *testing.T, email, password string) (*herald.Session, string) {
	t.Helper()
	s, token, err := f.app.SignIn(from("192.0.2.1"), email, password)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
	return s, token
}

func (f *passwordFixture) live(token string) bool {
	_, _, err := f.app.AuthenticateSession(context.Background(), token)
	return err == nil
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	f := setup(t, 2)
	here, hereToken := f.signIn(t, f.init.Email, f.init.Password)
	_, elsewhere := f.signIn(t, f.init.Email, f.init.Password)
	if _, err := f.app.Init(context.Background(), InitParams{Email: "bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	bob, err := f.app.ResetPassword(context.Background(), "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	_, bobToken := f.signIn(t, "bob@example.org", bob)
	ctx := herald.NewContextWithUser(from("192.0.2.1"), &herald.User{ID: f.init.UserID, Email: f.init.Email})

	const next = "correct horse battery staple"
	for _, tc := range []struct {
		name string
		p    ChangePasswordParams
		want string
	}{
		{"wrong current", ChangePasswordParams{Current: "wrong password", New: next, Confirm: next}, "currentPassword: is wrong"},
		{"no current", ChangePasswordParams{New: next, Confirm: next}, "currentPassword: is required"},
		{"too short", ChangePasswordParams{Current: f.init.Password, New: "short", Confirm: "short"}, "newPassword: must be at least 12 characters"},
		{"confirmation differs", ChangePasswordParams{Current: f.init.Password, New: next, Confirm: next + "!"}, "confirmPassword: does not match the new password"},
	} {
		err := f.app.ChangePassword(ctx, tc.p)
		if herald.ErrorCode(err) != herald.EINVALID || herald.ErrorMessage(err) != tc.want {
			t.Errorf("%s: %v, want invalid %q", tc.name, err, tc.want)
		}
	}
	if err := f.app.ChangePassword(context.Background(), ChangePasswordParams{Current: f.init.Password, New: next, Confirm: next}); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("signed out: %v, want unauthorized", err)
	}
	if err := f.app.ChangePassword(ctx, ChangePasswordParams{Current: f.init.Password, New: next, Confirm: next, KeepSessionID: here.ID}); err != nil {
		t.Fatal(err)
	}
	if !f.live(hereToken) || f.live(elsewhere) || !f.live(bobToken) {
		t.Errorf("after the change: this session live %v (want true), the other %v (want false), another user's %v (want true)",
			f.live(hereToken), f.live(elsewhere), f.live(bobToken))
	}
	if _, _, err := f.app.SignIn(from("192.0.2.2"), f.init.Email, f.init.Password); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("old password: %v, want unauthorized", err)
	}
	f.signIn(t, f.init.Email, next)

	// Wrong current passwords are throttled like sign-ins.
	for range throttleFree + 1 {
		f.app.ChangePassword(ctx, ChangePasswordParams{Current: "wrong password", New: next, Confirm: next})
	}
	err = f.app.ChangePassword(ctx, ChangePasswordParams{Current: next, New: next, Confirm: next})
	if herald.ErrorCode(err) != herald.ERATELIMITED || RetryAfter(err) != time.Second {
		t.Errorf("after failures: %v, want rate limited for 1s", err)
	}
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	f := setup(t, 2)
	_, token := f.signIn(t, f.init.Email, f.init.Password)
	password, err := f.app.ResetPassword(context.Background(), "  ADA@example.org ")
	if err != nil {
		t.Fatal(err)
	}
	if len(password) < minPasswordLen || password == f.init.Password {
		t.Errorf("new password %q", password)
	}
	if f.live(token) {
		t.Errorf("a session survived the reset")
	}
	if _, _, err := f.app.SignIn(from("192.0.2.2"), f.init.Email, f.init.Password); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("old password: %v, want unauthorized", err)
	}
	f.signIn(t, f.init.Email, password)
	if _, err := f.app.ResetPassword(context.Background(), "nobody@example.org"); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("unknown e-mail: %v, want not found", err)
	}
	if err := f.app.SetPassword(context.Background(), f.init.Email, "short"); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("short password: %v, want invalid", err)
	}
}
