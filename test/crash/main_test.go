package crash

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// heraldBin is the binary under test, built once by TestMain.
var heraldBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "herald-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if heraldBin, err = build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("crash: built %s in %s\n", heraldBin, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// build compiles ./cmd/herald from the module root into dir. It is built
// without the race detector even when the tests run with it: the servers
// under test publish thousands of posts, which the race detector would
// slow several times over, and the engine's own tests run with it.
func build(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the module (%q)", gomod)
	}
	bin := filepath.Join(dir, "herald")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/herald")
	cmd.Dir = filepath.Dir(gomod)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/herald: %w\n%s", err, stderr.String())
	}
	return bin, nil
}
