//go:build !unix

package testpeer

import "os/exec"

// setProcessGroup does nothing where there are no process groups.
func setProcessGroup(*exec.Cmd) {}

// terminate stops the process; there is no gentler signal here.
func terminate(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// kill stops the process.
func kill(cmd *exec.Cmd) error { return cmd.Process.Kill() }
