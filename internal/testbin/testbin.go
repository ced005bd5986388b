// Package testbin builds the herald binary for tests and benchmarks that
// run it as a process of its own (the black-box suite, the crash test, the
// benchmarks).
package testbin

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
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
