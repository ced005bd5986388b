package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a server may take to become ready. Both
	// normally need seconds; the margin is for a loaded CI machine.
	startTimeout = 3 * time.Minute

	// stopTimeout is how long a server gets to stop after SIGTERM before its
	// process group is killed.
	stopTimeout = 15 * time.Second

	// requestTimeout bounds each HTTP request the helpers make.
	requestTimeout = time.Minute
)

// errNotInstalled marks a server that .ci/peers has not built or installed.
// It turns into a skip, or a failure under HERALD_REQUIRE_PEERS=1.
var errNotInstalled = errors.New("not installed")

// peersDir is where .ci/peers puts the servers: $HERALD_PEERS_DIR, or
// $HOME/.cache/herald-peers as in the scripts (not os.UserCacheDir, which
// would follow XDG_CACHE_HOME where the scripts do not).
func peersDir() (string, error) {
	if dir := os.Getenv("HERALD_PEERS_DIR"); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("testpeer: no HERALD_PEERS_DIR and no home directory: %w", err)
	}
	return filepath.Join(home, ".cache", "herald-peers"), nil
}

// failStart reports that a server could not be started: a skip when it is
// merely not installed (unless HERALD_REQUIRE_PEERS=1), a failure otherwise.
func failStart(t testing.TB, what string, err error) {
	t.Helper()
	if errors.Is(err, errNotInstalled) {
		msg := fmt.Sprintf("testpeer: %s: %v; run .ci/peers to build and install the test servers", what, err)
		if os.Getenv("HERALD_REQUIRE_PEERS") == "1" {
			t.Fatal(msg + " (HERALD_REQUIRE_PEERS=1)")
			return
		}
		t.Skip(msg)
		return
	}
	t.Fatalf("testpeer: %s: %v", what, err)
}

// freePort returns a loopback port that was free a moment ago. Both servers
// must know their port before they listen (it is part of their public URL),
// so port 0 cannot be handed to them; the window between closing this
// listener and the server binding is short.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

// repoFile finds a file of this repository by its path from the root: next
// to this source file when the build kept source paths, otherwise above the
// working directory (go test runs in the package's directory).
func repoFile(rel string) (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(file), "..", "..", rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", rel, err)
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find %s: not at %s", rel, strings.Join(tried, ", "))
		}
		dir = parent
	}
}

// process is a server child process with its log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed

	stopOnce sync.Once
	stopErr  error
	onStop   func() // runs first in stop, e.g. to close the child's stdin
}

// startProcess starts cmd in its own process group with its output appended
// to logPath.
func startProcess(name string, cmd *exec.Cmd, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	if cmd.Stdout == nil {
		cmd.Stdout = logFile
	}
	cmd.Stderr = logFile
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// stop ends the process by its id: SIGTERM to its process group, then
// SIGKILL when it has not exited after stopTimeout. It is safe to call more
// than once.
func (p *process) stop() error {
	p.stopOnce.Do(func() {
		if p.onStop != nil {
			p.onStop()
		}
		if done, _ := p.exited(); !done {
			// The group may already be gone; only the wait below matters.
			_ = terminate(p.cmd)
			select {
			case <-p.done:
			case <-time.After(stopTimeout):
				_ = kill(p.cmd)
				<-p.done
				p.stopErr = fmt.Errorf("%s did not stop within %s of SIGTERM; killed", p.name, stopTimeout)
			}
		} else {
			// Whatever the main process left in its group goes too.
			_ = kill(p.cmd)
		}
		if err := p.logFile.Close(); err != nil && p.stopErr == nil {
			p.stopErr = fmt.Errorf("close %s log: %w", p.name, err)
		}
	})
	return p.stopErr
}

// logTail returns the end of the process's log, for error messages.
func (p *process) logTail() string {
	return fileTail(p.logPath, 4000)
}

// fileTail returns at most the last n bytes of a file.
func fileTail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(bytes.TrimSpace(b))
}

// runCommand runs a short command (GoToSocial's admin CLI) and returns its
// combined output in the error when it fails.
func runCommand(ctx context.Context, name string, args []string, env []string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	setProcessGroup(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(out, 4000))
	}
	return nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// readBody reads a response body, bounded so a runaway server cannot
// exhaust the test's memory.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 16<<20))
}
