// Package testbin builds the herald binary for tests and benchmarks that
// run it as a process of its own (the black-box suite, the crash test, the
// benchmarks).
package testbin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Package is the import path of Herald's command.
const Package = "github.com/heraldhq/herald/cmd/herald"

// Build compiles the herald command into dir and returns its path. race
// builds it with the race detector.
func Build(ctx context.Context, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "herald")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, Package)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", Package, err, stderr.String())
	}
	return bin, nil
}

// BuildTemp builds the herald command into a new temporary directory for a
// test package's TestMain, and returns the binary and a function that
// removes the directory. name (the test package's) prefixes the directory
// and, under -v, a line saying how long the build took.
func BuildTemp(name string, race bool) (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "herald-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	start := time.Now()
	if bin, err = Build(context.Background(), dir, race); err != nil {
		remove()
		return "", nil, err
	}
	if testing.Verbose() {
		fmt.Printf("%s: built %s (race: %v) in %s\n", name, bin, race, time.Since(start).Round(time.Millisecond))
	}
	return bin, remove, nil
}
