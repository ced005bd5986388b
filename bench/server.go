package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/heraldhq/herald/internal/testbin"
)

// Build compiles the herald command into dir and returns the binary's path.
// It builds without the race detector and with the default flags, as a
// user's `go build` would.
func Build(ctx context.Context, dir string) (string, error) {
	return testbin.Build(ctx, dir, false)
}

// Credentials are what `herald init --json` prints.
type Credentials struct {
	UserID      string `json:"userId"`
	WorkspaceID string `json:"workspaceId"`
	APIKey      string `json:"apiKey"`
}

// Init runs `herald init --json` with args (such as --data-dir and
// --database-url) and returns the new user's workspace and API key.
func Init(ctx context.Context, bin string, args ...string) (*Credentials, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"init", "--json", "--email", "bench@herald.local"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("herald init: %w\n%s", err, stderr.Bytes())
	}
	var c Credentials
	if err := json.Unmarshal(out, &c); err != nil {
		return nil, fmt.Errorf("herald init printed %q: %w", out, err)
	}
	return &c, nil
}

// Server is a running `herald serve` process.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL string
	// PID is the process id, for /proc.
	PID int

	cmd  *exec.Cmd
	logs *testbin.Buffer
	done chan struct{}
	err  error
}

// Start runs `herald serve --addr 127.0.0.1:0` with args and the process's
// environment plus env, and returns once the server listens. Its standard
// error (the logs) is kept for Logs.
func Start(ctx context.Context, bin string, env []string, args ...string) (*Server, error) {
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	logs := &testbin.Buffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{PID: cmd.Process.Pid, cmd: cmd, logs: logs, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		// Read stdout to its end so the server never blocks on a full pipe.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			const prefix = "Herald is listening on "
			if line := sc.Text(); strings.HasPrefix(line, prefix) {
				u, _, _ := strings.Cut(strings.TrimPrefix(line, prefix), " ")
				select {
				case urls <- u:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case s.URL = <-urls:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("herald serve exited before listening: %v\n%s", s.err, logs.String())
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	case <-time.After(2 * time.Minute):
		s.Stop()
		return nil, fmt.Errorf("herald serve did not listen within 2 minutes\n%s", logs.String())
	}
}

// Stop asks the server to shut down (SIGTERM), as an operator would, and
// kills it if it has not exited within 30 seconds.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		return errors.New("herald serve did not stop within 30s of SIGTERM; killed")
	}
	var ee *exec.ExitError
	if errors.As(s.err, &ee) {
		return fmt.Errorf("herald serve: %w\n%s", s.err, s.logs.String())
	}
	return nil
}

// Logs returns what the server wrote to standard error so far.
func (s *Server) Logs() string { return s.logs.String() }

// RSS returns the server's resident memory.
func (s *Server) RSS() (int64, error) { return RSS(s.PID) }

// CPU returns the CPU time the server has used, user plus system.
func (s *Server) CPU() (time.Duration, error) { return CPUTime(s.PID) }

// RSS returns the resident memory of process pid, from VmRSS in
// /proc/pid/status.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

func parseVmRSS(status []byte) (int64, error) {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected VmRSS line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS line in /proc status")
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/pid/stat. It
// is 100 on every Linux architecture Go supports (the kernel's ABI).
const clockTicks = 100

// CPUTime returns the user plus system CPU time of process pid, from
// /proc/pid/stat.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseCPUTime(b)
}

func parseCPUTime(stat []byte) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after the last ')' start with field 3 (state).
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	// utime and stime are fields 14 and 15: indexes 11 and 12 here.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// LoadAverage returns the one-minute load average of the machine, to be
// recorded beside figures taken on a shared machine.
func LoadAverage() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("empty /proc/loadavg")
	}
	return strconv.ParseFloat(f[0], 64)
}
