package testpeer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// PDS is a running Bluesky Personal Data Server (@atproto/pds 0.4.217) with
// the PLC directory it registers DIDs in, both on 127.0.0.1 in one Node
// process (test/peers/bluesky/start.js). Handles end in ".test"; no invite
// code is needed. There is no app view: records can be written and read
// back from the repository, feeds cannot be read.
type PDS struct {
	url           string
	plcURL        string
	publicURL     string
	adminPassword string
	proc          *process
	client        *http.Client
}

// StartPDS starts a PDS and PLC directory for this test and stops them in
// t.Cleanup. It skips the test when .ci/peers has not installed them (fails
// under HERALD_REQUIRE_PEERS=1). A package with several tests should share
// one server through Peers instead.
func StartPDS(t testing.TB) *PDS {
	t.Helper()
	p, err := launchPDS(t.TempDir())
	if err != nil {
		failStart(t, "start Bluesky PDS", err)
		return nil
	}
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("testpeer: stop Bluesky PDS: %v", err)
		}
	})
	return p
}

// pdsReady is the line start.js prints once both servers listen.
type pdsReady struct {
	PDS           string `json:"pds"`
	PLC           string `json:"plc"`
	PublicURL     string `json:"publicUrl"`
	AdminPassword string `json:"adminPassword"`
}

// launchPDS starts the servers with their files in dir. The caller stops
// them with stop and removes dir afterwards.
func launchPDS(dir string) (*PDS, error) {
	peers, err := peersDir()
	if err != nil {
		return nil, err
	}
	modules := filepath.Join(peers, "bluesky", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@atproto", "pds")); err != nil {
		return nil, fmt.Errorf("no @atproto/pds under %s: %w", modules, errNotInstalled)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("no node on PATH: %w", errNotInstalled)
	}
	script, err := repoFile(filepath.Join("test", "peers", "bluesky", "start.js"))
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}

	cmd := exec.Command(node, script, fmt.Sprintf("--pds-port=%d", port), "--data-dir="+filepath.Join(dir, "data"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	if os.Getenv("LOG_ENABLED") == "" {
		// The PDS's request and error log goes to the log file; it holds
		// the reasons that its 500 answers leave out.
		cmd.Env = append(cmd.Env, "LOG_ENABLED=true")
	}
	// start.js exits when its standard input closes: the test binary holds
	// the write end, so the servers end with it even without cleanup.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start.js stdin: %w", err)
	}
	// A pipe of our own rather than StdoutPipe: Wait, which runs as soon as
	// the process is started, would close StdoutPipe under the reader.
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start.js stdout: %w", err)
	}
	cmd.Stdout = stdoutW
	proc, err := startProcess("Bluesky PDS", cmd, filepath.Join(dir, "pds.log"))
	stdoutW.Close() // the child has its copy
	if err != nil {
		stdout.Close()
		return nil, err
	}
	proc.onStop = func() { _ = stdin.Close() }

	ready, err := readReadyLine(stdout, proc)
	if err != nil {
		stopErr := proc.stop()
		return nil, errors.Join(fmt.Errorf("%w\nlog %s:\n%s", err, proc.logPath, proc.logTail()), stopErr)
	}
	return &PDS{
		url:           ready.PDS,
		plcURL:        ready.PLC,
		publicURL:     ready.PublicURL,
		adminPassword: ready.AdminPassword,
		proc:          proc,
		client:        &http.Client{Timeout: requestTimeout},
	}, nil
}

// readReadyLine waits for start.js's JSON line, then copies the rest of its
// standard output to the log so the pipe never fills up. Lines before it
// (there should be none) go to the log too.
func readReadyLine(stdout io.ReadCloser, proc *process) (pdsReady, error) {
	type result struct {
		ready pdsReady
		err   error
	}
	found := make(chan result, 1)
	go func() {
		defer stdout.Close()
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				found <- result{err: err}
				return
			}
			var ready pdsReady
			if json.Unmarshal(line, &ready) == nil && ready.PDS != "" && ready.PLC != "" {
				found <- result{ready: ready}
				break
			}
			_, _ = proc.logFile.Write(line)
		}
		_, _ = io.Copy(proc.logFile, r)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case res := <-found:
		if res.err != nil {
			// Closed stdout: the process has ended or is ending.
			select {
			case <-proc.done:
			case <-time.After(5 * time.Second):
			}
			_, exitErr := proc.exited()
			return pdsReady{}, fmt.Errorf("start.js ended before it was ready: %v (exit: %v)", res.err, exitErr)
		}
		return res.ready, nil
	case <-timer.C:
		return pdsReady{}, fmt.Errorf("start.js not ready after %s", startTimeout)
	}
}

func (p *PDS) stop() error { return p.proc.stop() }

// URL is the PDS's base URL, http://127.0.0.1:PORT: the "service" a user
// gives when connecting with an app password.
func (p *PDS) URL() string { return p.url }

// PLCURL is the PLC directory's base URL, where did:plc identifiers made by
// this PDS resolve (GET /{did} returns the DID document).
func (p *PDS) PLCURL() string { return p.plcURL }

// PublicURL is the URL the PDS gives for itself in DID documents,
// http://localhost:PORT (dev mode insists on "localhost"). It reaches the
// same server as URL.
func (p *PDS) PublicURL() string { return p.publicURL }

// AdminPassword is the password of the PDS's admin endpoints (HTTP basic
// authentication as "admin"), for tests that take down or inspect accounts.
func (p *PDS) AdminPassword() string { return p.adminPassword }

// LogPath is the file that receives the servers' output.
func (p *PDS) LogPath() string { return p.proc.logPath }

// CreateAccount makes an account through com.atproto.server.createAccount,
// registering a new did:plc in the PLC directory, and returns the DID.
// handle must end in ".test" (for example "alice.test").
func (p *PDS) CreateAccount(t testing.TB, handle, email, password string) (did string) {
	t.Helper()
	var out struct {
		DID    string `json:"did"`
		Handle string `json:"handle"`
	}
	in := map[string]string{"handle": handle, "email": email, "password": password}
	if err := p.xrpc(context.Background(), "com.atproto.server.createAccount", "", in, &out); err != nil {
		t.Fatalf("testpeer: create PDS account %s: %v", handle, err)
	}
	if out.DID == "" {
		t.Fatalf("testpeer: create PDS account %s: no did in the answer", handle)
	}
	return out.DID
}

// CreateAppPassword signs in with the account's main password and makes an
// app password named name through com.atproto.server.createAppPassword, as
// a user does in the app's settings before connecting Herald. It returns the
// app password.
func (p *PDS) CreateAppPassword(t testing.TB, handle, password, name string) string {
	t.Helper()
	ctx := context.Background()
	var session struct {
		AccessJwt string `json:"accessJwt"`
	}
	in := map[string]string{"identifier": handle, "password": password}
	if err := p.xrpc(ctx, "com.atproto.server.createSession", "", in, &session); err != nil {
		t.Fatalf("testpeer: sign in to PDS as %s: %v", handle, err)
	}
	var out struct {
		Password string `json:"password"`
	}
	if err := p.xrpc(ctx, "com.atproto.server.createAppPassword", session.AccessJwt, map[string]string{"name": name}, &out); err != nil {
		t.Fatalf("testpeer: create app password for %s: %v", handle, err)
	}
	if out.Password == "" {
		t.Fatalf("testpeer: create app password for %s: no password in the answer", handle)
	}
	return out.Password
}

// xrpc calls an XRPC procedure with a JSON body and decodes its JSON answer.
func (p *PDS) xrpc(ctx context.Context, method, bearer string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/xrpc/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	b, err := readBody(resp)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d: %s", method, resp.StatusCode, tail(b, 2000))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", method, err)
	}
	return nil
}
