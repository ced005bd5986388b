package crash

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// storage is the database every node of a test runs on, and what every
// node must share to read what another sealed.
type storage struct {
	dataDir string
	dbURL   string // empty on SQLite: the file in dataDir
	// secretKey seals the profiles' credentials. Nodes get it as a flag,
	// since each would otherwise create a key file of its own.
	secretKey string
}

func newStorage(t *testing.T, dbURL string) storage {
	var k [32]byte
	rand.Read(k[:])
	return storage{dataDir: t.TempDir(), dbURL: dbURL, secretKey: hex.EncodeToString(k[:])}
}

// args are the flags that name the database.
func (s storage) args() []string {
	args := []string{"--data-dir", s.dataDir}
	if s.dbURL != "" {
		args = append(args, "--database-url", s.dbURL)
	}
	return args
}

// account is what `herald init --json` prints.
type account struct {
	WorkspaceID string `json:"workspaceId"`
	APIKey      string `json:"apiKey"`
}

// initAccount creates the user, workspace and API key the test drives the
// API with, before any server runs.
func initAccount(t *testing.T, s storage) account {
	t.Helper()
	cmd := exec.Command(heraldBin, append([]string{"init", "--json"}, s.args()...)...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("herald init: %v\n%s", err, stderr.String())
	}
	var a account
	if err := json.Unmarshal(out, &a); err != nil || a.APIKey == "" || a.WorkspaceID == "" {
		t.Fatalf("herald init --json printed %q (%v)", out, err)
	}
	return a
}

// cleanEnv is the environment without HERALD_ settings, so that a
// developer's own configuration does not leak into the servers.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			env = append(env, kv)
		}
	}
	return env
}

// node is one run of `herald serve`.
type node struct {
	name string
	root string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	log  string // the file that holds its stderr (its log)

	exited  chan struct{}
	exitErr error
}

var listeningRe = regexp.MustCompile(`Herald is listening on (http://\S+) `)

// startNode starts `herald serve` on a free loopback port with the storage
// and extra flags, and returns once it listens. Its log is appended to
// logPath, so that the runs of one test read as one story.
func startNode(t *testing.T, name string, s storage, logPath string, extra ...string) *node {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--rate-limit", "1000000", "--allow-private-networks=true", "--secret-key", s.secretKey}, s.args()...)
	n := &node{name: name, log: logPath, exited: make(chan struct{})}
	n.cmd = exec.Command(heraldBin, append(args, extra...)...)
	n.cmd.Env = cleanEnv()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child keeps its own descriptor
	fmt.Fprintf(logf, "===== %s starts at %s\n", name, time.Now().Format(time.RFC3339Nano))
	n.cmd.Stderr = logf
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start herald serve: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		n.exitErr = n.cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() { n.kill(t) }) // a failed test leaves no process behind
	select {
	case n.root = <-addr:
	case <-n.exited:
		t.Fatalf("%s ended before listening (%v); log:\n%s", name, n.exitErr, tail(logPath, 40))
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not listen within 60s; log:\n%s", name, tail(logPath, 40))
	}
	return n
}

// kill ends the process with SIGKILL, as a crash or an OOM killer would,
// and waits until it is gone.
func (n *node) kill(t *testing.T) {
	t.Helper()
	select {
	case <-n.exited:
		return
	default:
	}
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SIGKILL %s: %v", n.name, err)
	}
	<-n.exited
}

// stop ends the process with SIGTERM and checks it shuts down cleanly.
func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM %s: %v", n.name, err)
	}
	select {
	case <-n.exited:
		if n.exitErr != nil {
			t.Errorf("%s did not shut down cleanly: %v; log:\n%s", n.name, n.exitErr, tail(n.log, 40))
		}
	case <-time.After(45 * time.Second):
		t.Errorf("%s did not exit within 45s of SIGTERM", n.name)
		n.kill(t)
	}
}

// client returns an API client of the node.
func (n *node) client(key string) *client.Client {
	return client.New(n.root+client.BasePath, key, &http.Client{Timeout: 30 * time.Second})
}

// ready returns the status of GET /readyz.
func (n *node) ready(ctx context.Context) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.root+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// grepLog returns the lines of a log that contain every one of words.
func grepLog(t *testing.T, path string, words ...string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// keepLog copies a node's log next to the test's output when the test
// fails, so that CI keeps it (t.TempDir is removed).
func keepLog(t *testing.T, path string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		dst := filepath.Join(os.TempDir(), "herald-crash-"+strings.NewReplacer("/", "-").Replace(t.Name())+"-"+filepath.Base(path))
		if b, err := os.ReadFile(path); err == nil && os.WriteFile(dst, b, 0o600) == nil {
			t.Logf("the servers' log is kept in %s", dst)
		}
	})
}
