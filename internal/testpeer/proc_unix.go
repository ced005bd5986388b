//go:build unix

package testpeer

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the child in a process group of its own so that
// stopping it also stops whatever it started, and nothing else.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)
}

// signalGroup sends sig to the child's whole process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// terminate asks the process group to stop.
func terminate(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGTERM) }

// kill stops the process group at once.
func kill(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGKILL) }
