package app

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/heraldhq/herald"
)

// Checking or hashing a password costs argon2id's argonMemory (19 MiB) for
// tens of milliseconds, so passwords are the cheapest way to exhaust a
// server's memory. Two things bound it: a semaphore lets only a few hashes
// run at once (the others wait their turn, or give up with their request),
// and a throttle refuses, without hashing, the attempts of a client address
// or an account that keeps failing.

// DefaultPasswordHashes returns how many passwords are hashed at once by
// default: one per processor up to 4, fewer when GOMEMLIMIT leaves room for
// less than four times their memory.
func DefaultPasswordHashes() int {
	n := min(4, runtime.GOMAXPROCS(0))
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 {
		n = min(n, int(limit/(4*argonMemory*1024)))
	}
	return max(1, n)
}

// passwordWait is the longest a password check waits for its turn before
// the answer says the server is busy.
const passwordWait = 10 * time.Second

// hasher runs argon2id, at most cap(slots) at a time.
type hasher struct {
	slots chan struct{}
	// derive is argon2.IDKey; tests replace it to watch the concurrency.
	derive func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

func newHasher(n int) *hasher {
	return &hasher{slots: make(chan struct{}, n), derive: argon2.IDKey}
}

// acquire waits for a turn, as long as ctx lives and at most passwordWait.
func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(passwordWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, herald.Errorf(herald.EUNAVAILABLE, "Herald is busy checking passwords; try again in a moment.")
	}
}

// hash returns a PHC-formatted argon2id hash of password.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	salt := randomBytes(16)
	key := h.derive([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return phc(salt, key), nil
}

func phc(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is a hash no password matches, with the cost of a real one: an
// unknown e-mail is checked against it so that its answer takes as long.
func dummyHash() string { return phc(randomBytes(16), randomBytes(argonKeyLen)) }

// check reports whether password matches the PHC hash, comparing in
// constant time. The caller holds a turn (acquire).
func (h *hasher) check(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 16 || p == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := h.derive([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// Throttle policy: throttleFree failures are free; each further one locks
// the client address and the account for twice as long as the last
// (throttleBase, then 2×, 4×, … up to throttleMax). Failures are forgotten
// throttleWindow after the last one, or at a success.
const (
	throttleFree    = 5
	throttleBase    = time.Second
	throttleMax     = 15 * time.Minute
	throttleWindow  = time.Hour
	throttleEntries = 100_000 // per node, for addresses and accounts together
)

// throttle counts recent password failures per key (a client address or an
// account). It is per node and bounded in size.
type throttle struct {
	mu      sync.Mutex
	entries map[string]*failures
	max     int
}

type failures struct {
	count int
	last  time.Time // the last failure
	until time.Time // attempts before this are refused
}

func newThrottle(max int) *throttle {
	return &throttle{entries: map[string]*failures{}, max: max}
}

// wait returns how long the keys are still locked at now (0: not locked).
func (t *throttle) wait(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d time.Duration
	for _, k := range keys {
		if f := t.entries[k]; f != nil && now.Sub(f.last) < throttleWindow {
			d = max(d, f.until.Sub(now))
		}
	}
	return max(d, 0)
}

// fail records a failure for each key and returns the longest lock it set
// (0 while failures are still free).
func (t *throttle) fail(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var locked time.Duration
	for _, k := range keys {
		f := t.entries[k]
		if f == nil || now.Sub(f.last) >= throttleWindow {
			if f == nil && len(t.entries) >= t.max {
				t.makeRoom(now)
			}
			f = &failures{}
			t.entries[k] = f
		}
		f.count++
		f.last = now
		if over := f.count - throttleFree; over > 0 {
			d := throttleMax
			if over <= 20 {
				d = min(throttleMax, throttleBase<<(over-1))
			}
			f.until = now.Add(d)
			locked = max(locked, d)
		}
	}
	return locked
}

// succeed forgets the keys' failures.
func (t *throttle) succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.entries, k)
	}
}

// makeRoom drops expired entries, or, when all are recent, the ones with
// the fewest failures among a few taken at random (map order), so that
// filling the table does not clear the locks that matter.
func (t *throttle) makeRoom(now time.Time) {
	for k, f := range t.entries {
		if now.Sub(f.last) >= throttleWindow {
			delete(t.entries, k)
		}
	}
	for len(t.entries) >= t.max {
		var victim string
		least := math.MaxInt
		n := 0
		for k, f := range t.entries {
			if f.count < least {
				victim, least = k, f.count
			}
			if n++; n == 8 {
				break
			}
		}
		delete(t.entries, victim)
	}
}

// throttleKeys are the keys a password attempt is counted under: the
// client's address (an IPv6 client by its /64, which one host commonly
// has whole) and the account's e-mail, known to Herald or not.
func throttleKeys(ctx context.Context, email string) []string {
	keys := []string{"account:" + herald.NormalizeEmail(email)}
	if s := herald.ClientAddrFromContext(ctx); s != "" {
		if a, err := netip.ParseAddr(s); err == nil && a.Is6() && !a.Is4In6() {
			s = netip.PrefixFrom(a, 64).Masked().String()
		}
		keys = append(keys, "addr:"+s)
	}
	return keys
}

// retryAfter is the cause of a throttled attempt's error: how long to wait.
type retryAfter time.Duration

func (r retryAfter) Error() string { return "retry after " + time.Duration(r).String() }

// RetryAfter returns how long the client should wait, in whole seconds,
// before trying again after err (a refused password attempt), or 0 when
// err does not say.
func RetryAfter(err error) time.Duration {
	var r retryAfter
	if errors.As(err, &r) {
		return time.Duration(r)
	}
	return 0
}

func throttled(what string, d time.Duration) error {
	secs := int(math.Ceil(d.Seconds()))
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return &herald.Error{Code: herald.ERATELIMITED, Message: fmt.Sprintf("Too many %s attempts; try again in %d %s.", what, secs, unit), Err: retryAfter(time.Duration(secs) * time.Second)}
}

// verifyPassword checks password against hash (dummyHash for an unknown
// account) for the account email, throttled by client address and account
// and bounded by the hasher. It returns whether the password matched; a
// throttled attempt is an ERATELIMITED error whose RetryAfter says how long
// to wait. what names the attempt in messages ("sign-in").
func (a *Accounts) verifyPassword(ctx context.Context, what, email, hash, password string) (bool, error) {
	keys := throttleKeys(ctx, email)
	refuse := func(d time.Duration) error {
		a.log.DebugContext(ctx, "password attempt refused", "client_addr", herald.ClientAddrFromContext(ctx), "account", herald.NormalizeEmail(email), "retry_after_s", int(math.Ceil(d.Seconds())))
		return throttled(what, d)
	}
	if d := a.throttle.wait(a.Now(), keys...); d > 0 {
		return false, refuse(d)
	}
	release, err := a.hasher.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	// Look again: attempts queued behind failing ones are refused without
	// hashing.
	if d := a.throttle.wait(a.Now(), keys...); d > 0 {
		return false, refuse(d)
	}
	if a.hasher.check(hash, password) {
		a.throttle.succeed(keys...)
		return true, nil
	}
	if d := a.throttle.fail(a.Now(), keys...); d > 0 {
		a.log.WarnContext(ctx, "password attempts throttled", "attempt", what, "client_addr", herald.ClientAddrFromContext(ctx),
			"account", herald.NormalizeEmail(email), "locked_s", int(math.Ceil(d.Seconds())))
	}
	return false, nil
}
