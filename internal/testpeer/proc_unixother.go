//go:build unix && !linux

package testpeer

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal; cleanups stop the servers.
func setParentDeathSignal(*syscall.SysProcAttr) {}
