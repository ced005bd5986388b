package blackbox

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel kill the server if the test process dies
// (a panic, a timeout, ^C), so that no server outlives its test.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
