package testpeer

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// Peers shares one GoToSocial server and one PDS among the tests of a
// package: each starts on first use and stops when the package's tests are
// done. Declare one in a _test.go file and run the tests through Run from
// TestMain (see the package overview). The zero value is ready to use.
type Peers struct {
	mu      sync.Mutex
	running bool
	gts     shared[*GoToSocial]
	pds     shared[*PDS]
}

// shared is one lazily started server, its directory and the outcome of
// starting it, which every later caller gets too.
type shared[S interface{ stop() error }] struct {
	once   sync.Once
	server S
	dir    string
	err    error
}

func (s *shared[S]) start(prefix string, launch func(dir string) (S, error)) (S, error) {
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", prefix)
		if err != nil {
			s.err = err
			return
		}
		s.dir = dir
		s.server, s.err = launch(dir)
	})
	return s.server, s.err
}

// close stops the server if it was started and removes its directory.
func (s *shared[S]) close() error {
	var errs []error
	if s.err == nil && s.dir != "" {
		errs = append(errs, s.server.stop())
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// Run runs the package's tests, then stops the servers they started. Call
// it from TestMain and exit with its result.
func (p *Peers) Run(m *testing.M) int {
	p.mu.Lock()
	p.running = true
	p.mu.Unlock()

	code := m.Run()

	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = false
	if err := errors.Join(p.gts.close(), p.pds.close()); err != nil {
		fmt.Fprintf(os.Stderr, "testpeer: stopping shared servers: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// GoToSocial returns the package's shared GoToSocial server, starting it on
// first use. It skips or fails the test as StartGoToSocial does; a failed
// start fails every test that asks, without trying again.
func (p *Peers) GoToSocial(t testing.TB) *GoToSocial {
	t.Helper()
	if !p.mustRun(t) {
		return nil
	}
	g, err := p.gts.start("herald-gotosocial-", launchGoToSocial)
	if err != nil {
		failStart(t, "start GoToSocial", err)
		return nil
	}
	return g
}

// PDS returns the package's shared Bluesky PDS, starting it on first use.
// It skips or fails the test as StartPDS does.
func (p *Peers) PDS(t testing.TB) *PDS {
	t.Helper()
	if !p.mustRun(t) {
		return nil
	}
	s, err := p.pds.start("herald-pds-", launchPDS)
	if err != nil {
		failStart(t, "start Bluesky PDS", err)
		return nil
	}
	return s
}

// mustRun fails a test whose package does not run its tests through Run:
// nothing would stop the shared servers.
func (p *Peers) mustRun(t testing.TB) bool {
	t.Helper()
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if !running {
		t.Fatal("testpeer: Peers needs TestMain to call Peers.Run, which stops the shared servers")
	}
	return running
}
