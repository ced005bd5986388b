package testpeer

import "syscall"

// setParentDeathSignal makes the kernel kill the child when the test binary
// dies without running its cleanups (a panic in another goroutine, SIGKILL),
// so no server outlives the test run.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
