//go:build !linux

package blackbox

import "os/exec"

// dieWithTest: see procattr_linux_test.go; elsewhere a server left behind by
// a crashed test must be stopped by hand.
func dieWithTest(cmd *exec.Cmd) {}
